import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")

app = Celery("statuspage")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(related_name="delivery_tasks")  # statuspage.delivery_tasks
app.autodiscover_tasks(lambda: ["statuspage.public"], related_name="render_tasks")  # statuspage.public.render_tasks
