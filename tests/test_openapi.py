"""The OpenAPI schema at /api/schema/: valid OpenAPI 3.0.3 by `openapi-spec-validator`,
every success answer typed (generated clients get models, not `object`), the public v2
API documented, and real answers matching it field for field."""

import copy

import pytest
from django.test import Client
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from statuspage.models import PageSettings
from tests.statuspage_examples import open_examples

pytestmark = pytest.mark.django_db
V2 = ["/api/v2/summary.json", "/api/v2/status.json", "/api/v2/components.json", "/api/v2/incidents.json",
      "/api/v2/incidents/unresolved.json", "/api/v2/scheduled-maintenances.json",
      "/api/v2/scheduled-maintenances/upcoming.json", "/api/v2/scheduled-maintenances/active.json"]


@pytest.fixture
def spec(db):
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def busy(page):
    open_examples(resolved=True)


def strict(spec: dict, ref: str) -> OAS30Validator:
    """A validator for one component that also refuses fields the schema does not name, so a
    field added to an answer but not to statuspage/api/types.py fails here."""
    components = copy.deepcopy(spec["components"])
    for schema in components["schemas"].values():
        if "properties" in schema:
            schema.setdefault("additionalProperties", False)
    return OAS30Validator({"$ref": ref, "components": components})


def response_ref(spec: dict, path: str, method: str = "get", code: str = "200") -> str:
    return spec["paths"][path][method]["responses"][code]["content"]["application/json"]["schema"]["$ref"]


def test_openapi_spec_validator_accepts_the_schema(spec):
    validate(spec)  # raises on any error
    assert spec["openapi"].startswith("3.0")


def test_no_schema_uses_property_names_which_openapi_3_0_lacks(spec):
    assert "propertyNames" not in str(spec)


def test_every_success_answer_with_a_body_is_a_typed_model(spec):
    untyped = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if not code.startswith("2") or "content" not in response:
                    continue
                schema = response["content"]["application/json"]["schema"]
                schema = schema.get("items", schema) if schema.get("type") == "array" else schema
                target = spec["components"]["schemas"].get(schema.get("$ref", "").rsplit("/", 1)[-1], {})
                if not target.get("properties"):
                    untyped.append(f"{method.upper()} {path} {code}")
    assert untyped == []


def test_the_public_v2_api_is_documented_without_security(spec):
    for path in V2:
        operation = spec["paths"][path]["get"]
        assert operation["security"] == [] and response_ref(spec, path).startswith("#/components/schemas/")


@pytest.mark.parametrize("path", V2)
def test_each_v2_answer_matches_its_schema_field_for_field(spec, busy, path):
    body = Client().get(path).json()

    errors = [e.message for e in strict(spec, response_ref(spec, path)).iter_errors(body)]

    assert errors == []


def test_the_management_answers_match_their_schemas(spec, busy, api):
    answers = {
        ("/api/v1/incidents/", "get", "200"): api.get("/api/v1/incidents/"),
        ("/api/v1/incidents/", "post", "201"): api.post("/api/v1/incidents/", {"name": "Outage"}, format="json"),
        ("/api/v1/components/", "get", "200"): api.get("/api/v1/components/"),
        ("/api/v1/components/{key}/", "patch", "200"): api.patch(
            "/api/v1/components/reserve-data/", {"status": "operational"}, format="json"),
        ("/api/v1/webhooks/", "get", "200"): api.get("/api/v1/webhooks/"),
    }
    for (path, method, code), response in answers.items():
        assert str(response.status_code) == code, (path, response.content)
        errors = [e.message for e in strict(spec, response_ref(spec, path, method, code)).iter_errors(response.json())]
        assert errors == [], (path, method)


def test_the_statuspage_management_answers_match_their_schemas(spec, busy, api):
    base = f"/api/statuspage/v1/pages/{PageSettings.load().public_id}"
    created = api.post(f"{base}/incidents", {"incident": {"name": "Outage", "component_ids": ["reserve-data"]}},
                       format="json")
    listed = api.get(f"{base}/incidents")
    components = api.get(f"{base}/components")
    path = "/api/statuspage/v1/pages/{page_id}/incidents"

    assert created.status_code == 201 and listed.status_code == 200 and components.status_code == 200
    assert [e.message for e in strict(spec, response_ref(spec, path, "post", "201")).iter_errors(created.json())] == []
    item = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["items"]["$ref"]
    for incident in listed.json():
        assert [e.message for e in strict(spec, item).iter_errors(incident)] == [], incident["name"]


def test_every_post_documents_the_idempotency_key_and_its_409_and_422(spec):
    posts = [(path, operations["post"]) for path, operations in spec["paths"].items() if "post" in operations]

    assert len(posts) >= 5
    for path, operation in posts:
        assert "Idempotency-Key" in [p["name"] for p in operation["parameters"] if p["in"] == "header"], path
        assert {"409", "422"} <= set(operation["responses"]), path


def test_the_schema_shows_bearer_tokens_and_the_one_incident_endpoints(spec):
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": 'The same API token: "Bearer <token>"'}
    one = spec["paths"]["/api/v1/incidents/{incident_id}/"]
    assert set(one) >= {"get", "patch", "delete"} and {"bearerAuth": []} in one["patch"]["security"]
    assert "patch" in spec["paths"]["/api/v1/incidents/{incident_id}/updates/{update_id}/"]


def test_the_one_incident_answers_match_their_schemas(spec, page, api):
    incident = api.post("/api/v1/incidents/", {"name": "Outage"}, format="json").json()
    one, update = f"/api/v1/incidents/{incident['id']}/", incident["incident_updates"][0]["id"]
    answers = {
        ("/api/v1/incidents/{incident_id}/", "get", "200"): api.get(one),
        ("/api/v1/incidents/{incident_id}/", "patch", "200"): api.patch(one, {"name": "Outage!"}, format="json"),
        ("/api/v1/incidents/{incident_id}/updates/{update_id}/", "patch", "200"): api.patch(
            f"{one}updates/{update}/", {"body": "Fixed text."}, format="json"),
    }
    for (path, method, code), response in answers.items():
        assert str(response.status_code) == code, (path, response.content)
        errors = [e.message for e in strict(spec, response_ref(spec, path, method, code)).iter_errors(response.json())]
        assert errors == [], (path, method)
