"""schemathesis against /api/schema/: whatever it sends, on call or not, the management
API answers as its schema says and never with a 500.

It runs in-process against the WSGI application the web server runs (statuspage.wsgi,
the snapshot front door included), with schemathesis's default checks, positive and
negative data, and its wrong-method and missing-auth probes. One check is left out:
`positive_data_acceptance` expects every schema-valid request to succeed, but the API
also validates against the database (a component key that does not exist, a webhook
host that does not resolve, `scheduled_until` before `scheduled_for`), which no schema
can say; a 400 with a message per field is the right answer there.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from statuspage.wsgi import application
from tests.conftest import token_for

pytestmark = [pytest.mark.once, pytest.mark.django_db]
EXAMPLES = 12  # per operation and caller: the whole file stays under half a minute
# Uncompressed: the public v2 snapshots are served brotli or gzip when asked, and the WSGI
# client here does not decode them.
PLAIN = {"Accept-Encoding": "identity"}


@pytest.fixture
def api_schema(page, oncall_user):
    # As Django's test client does: a request must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_on_call_gets_what_the_schema_promises(case, oncall_user):
    case.call_and_validate(headers={"Authorization": f"Token {token_for(oncall_user)}", **PLAIN},
                           excluded_checks=[positive_data_acceptance])


@schema.parametrize()
@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=list(HealthCheck))
def test_a_stranger_is_refused_by_every_operation(case):
    response = case.call_and_validate(headers=PLAIN, excluded_checks=[positive_data_acceptance])

    if case.path.startswith("/api/v2/"):  # the public API (docs/api.md): anyone may read it
        assert response.status_code in (200, 405), response.text
        return
    # 401, or 404/405 for a path or method that names no operation at all
    assert response.status_code in (401, 404, 405), response.text
