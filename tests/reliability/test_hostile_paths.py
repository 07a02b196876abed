"""A URL path outside Latin-1 (a Cyrillic incident id pasted from a chat) gets a 404, not a 500.

A WSGI server hands the path to the application as Latin-1-decoded bytes (PEP 3333);
Django decodes it once more, as UTF-8, when it builds a request.
"""

import pytest

from tests.test_render_on_write import wsgi_get

pytestmark = [pytest.mark.once, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def keep_test_connection():
    """As Django's test client does: a request must not close the test's connection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.parametrize("path", ["/incidents/аб", "/components/аб/history.rss", "/api/v1/components/аб/",
                                  "/admin/аб"])
def test_a_path_outside_latin1_is_refused_cleanly_through_the_front_door(page, path):
    status, _, _ = wsgi_get(path.encode().decode("latin-1"))

    assert status in (302, 404)
