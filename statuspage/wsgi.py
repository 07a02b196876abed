import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")
django_application = get_wsgi_application()

from statuspage.public.door import serve_snapshots  # noqa: E402  (needs the apps loaded: get_wsgi_application() does that)

# Public GETs with a rendered snapshot are answered before Django builds a request.
application = serve_snapshots(django_application)
