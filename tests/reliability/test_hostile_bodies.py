"""Every write of the management API answers a hostile body with a JSON 4xx and changes
nothing. (tests/test_hostile_input.py covers two endpoints in depth; this walks them all.)"""

import pytest

from statuspage.models import AuditLog, Component, Incident, WebhookSubscriber
from statuspage.services.incidents import do_open_incident

pytestmark = [pytest.mark.once, pytest.mark.django_db]

BODIES = [
    pytest.param("[" * 100_000 + "]" * 100_000, "application/json", 400, id="JSON nested 100,000 deep"),
    pytest.param('{"name":"' + "x" * 2_000_000 + '"}', "application/json", 413, id="2 MB body"),
    pytest.param(b'{"name":"\xff\xfe"}', "application/json", 400, id="bad UTF-8"),
    pytest.param('{"name": NaN}', "application/json", 400, id="NaN"),
    pytest.param('{"name": "x"', "application/json", 400, id="truncated"),
    pytest.param("name=x", "application/x-www-form-urlencoded", 415, id="a form, not JSON"),
    pytest.param("<a>x</a>", "application/xml", 415, id="XML"),
    pytest.param("[]", "application/json", 400, id="a list"),
    pytest.param('"x"', "application/json", 400, id="a string"),
    pytest.param("null", "application/json", 400, id="null"),
    pytest.param('{"name": 1e999, "status": 1e999, "url": 1e999, "components": 1e999}', "application/json", 400,
                 id="infinite numbers"),
    pytest.param('{"name": "\\u0000", "status": "\\ud800", "url": "http://\\u0000", "body": "\\udfff"}',
                 "application/json", 400, id="NUL and lone surrogates"),
]
WRITES = [
    ("POST", "/api/v1/incidents/"),
    ("POST", "/api/v1/incidents/{incident}/updates/"),
    ("PATCH", "/api/v1/components/reserve-auth/"),
    ("POST", "/api/v1/config/"),
    ("POST", "/api/v1/webhooks/"),
]


@pytest.mark.parametrize("body, content_type, status", BODIES)
@pytest.mark.parametrize("method, url", WRITES)
def test_a_hostile_body_gets_a_json_4xx_and_changes_nothing(page, api, method, url, body, content_type, status):
    incident = do_open_incident(name="Login fails")
    before = (AuditLog.objects.count(), Incident.objects.count(), incident.updates.count(),
              WebhookSubscriber.objects.count(), sorted(Component.objects.values_list("key", "status")))

    response = api.generic(method, url.format(incident=incident.pk), body, content_type=content_type)

    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert response.json()
    assert before == (AuditLog.objects.count(), Incident.objects.count(), incident.updates.count(),
                      WebhookSubscriber.objects.count(), sorted(Component.objects.values_list("key", "status")))
