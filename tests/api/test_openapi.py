"""``/api/v1/openapi.json`` describes the API from the same marshmallow schemas it runs on.

A hospital's integrator generates a client from it, so it must be valid OpenAPI 3, name
every endpoint, and carry the validation rules (patterns, enums, limits) the API enforces.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from telemed.cases.models import CaseStatus, Urgency
from telemed.cases.schemas import ICD10_PATTERN, CaseInputSchema
from telemed.core.vocabulary import Specialty
from tests.conftest import client_for

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture
def spec(app: Flask) -> dict[str, Any]:
    response = app.test_client().get("/api/v1/openapi.json")  # public: no login needed
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def resolve(spec: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = spec
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def test_it_is_an_openapi_3_document(spec):
    assert re.fullmatch(r"3\.\d+\.\d+", spec["openapi"])
    assert spec["info"]["title"] and spec["info"]["version"]
    assert isinstance(spec["paths"], dict) and spec["paths"]


def test_every_endpoint_is_described(spec):
    expected = {
        ("/api/v1/cases", "get"), ("/api/v1/cases", "post"),
        ("/api/v1/cases/{case_id}", "get"), ("/api/v1/cases/{case_id}", "patch"),
        ("/api/v1/cases/{case_id}/actions/{action}", "post"),
        ("/api/v1/cases/{case_id}/attachments", "post"),
        ("/api/v1/centres", "get"), ("/api/v1/me", "get"),
    }  # fmt: skip
    assert {(path, method) for path, method, _ in operations(spec)} >= expected
    for path, method, operation in operations(spec):
        assert operation.get("summary"), (path, method)
        assert operation["responses"], (path, method)


def test_every_reference_resolves_and_every_path_parameter_is_declared(spec):
    for ref in set(refs(spec)):
        assert resolve(spec, ref) is not None, ref
    for path, item in spec["paths"].items():
        declared = {p["name"] for p in item.get("parameters", []) if p["in"] == "path"}
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            names = declared | {
                p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"
            }
            assert names == set(re.findall(r"{(\w+)}", path)), (path, method)


def test_case_input_schema_is_generated_from_marshmallow(spec):
    schemas = spec["components"]["schemas"]
    create = schemas["CaseCreate"]
    properties = create["properties"]
    assert set(CaseInputSchema().fields) <= set(properties)
    assert "draft" in properties
    assert properties["icd10_code"]["type"] == "string"
    assert properties["icd10_code"]["pattern"] == ICD10_PATTERN
    assert re.fullmatch(properties["icd10_code"]["pattern"], "C91.0")
    assert not re.fullmatch(properties["icd10_code"]["pattern"], "leucemia")
    assert (properties["age_years"]["minimum"], properties["age_years"]["maximum"]) == (0, 120)
    assert properties["urgency"]["enum"] == [u.value for u in Urgency]
    assert properties["specialty"]["enum"] == [s.value for s in Specialty]
    assert properties["question"]["minLength"] == 10
    assert set(create["required"]) == {
        "patient_reference", "age_years", "sex", "icd10_code", "diagnosis_text", "question",
        "request_kind", "specialty",
    }  # fmt: skip
    assert create.get("additionalProperties") is False  # unknown fields are refused

    post = spec["paths"]["/api/v1/cases"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert resolve(spec, body["$ref"]) is create


def test_output_schemas_show_the_reference_only_where_the_api_does(spec):
    schemas = spec["components"]["schemas"]
    summary = schemas["CaseSummary"]["properties"]
    assert "patient_reference" not in summary
    assert "patient_reference_masked" in summary
    assert [s for s in summary["status"]["enum"] if s] == [s.value for s in CaseStatus]

    list_response = spec["paths"]["/api/v1/cases"]["get"]["responses"]["200"]
    page = resolve(spec, list_response["content"]["application/json"]["schema"]["$ref"])
    assert set(page["properties"]) == {"items", "page", "per_page", "next", "total",
                                       "total_exact"}  # fmt: skip

    detail_response = spec["paths"]["/api/v1/cases/{case_id}"]["get"]["responses"]["200"]
    detail = resolve(spec, detail_response["content"]["application/json"]["schema"]["$ref"])
    for name in ("patient_reference", "timeline", "attachments", "actions"):
        assert name in detail["properties"], name

    filters = {p["name"] for p in spec["paths"]["/api/v1/cases"]["get"]["parameters"]}
    assert filters >= {"status", "centre_id", "specialty", "urgency", "date_from", "date_to",
                       "q", "page", "per_page", "after"}  # fmt: skip


def test_errors_and_bearer_security_are_documented(spec):
    components = spec["components"]
    assert components["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "Personal API token",
    }  # fmt: skip
    assert {"bearerAuth": []} in spec["security"]
    error = components["schemas"]["Error"]["properties"]
    assert {"code", "status", "message", "errors"} <= set(error)
    for path, method, operation in operations(spec):
        assert "default" in operation["responses"], (path, method)


OPTIONAL_BODIES = {
    ("/api/v1/cases/{case_id}/actions/{action}", "post"),  # the message is optional
    ("/api/v1/sessions/{session_id}/start", "post"),  # no body: now
    ("/api/v1/sessions/{session_id}/end", "post"),
    ("/api/v1/agreements/{agreement_id}/done", "post"),  # the note is optional
}
BODILESS = {
    ("/api/v1/sessions/{session_id}/minutes/finalise", "post"),
    ("/api/v1/sessions/{session_id}/cancel", "post"),
    ("/api/v1/assignments", "post"),
}


def test_a_body_the_operation_needs_is_marked_required(spec):
    for path, method, operation in operations(spec):
        if (path, method) in BODILESS:
            assert "requestBody" not in operation, (path, method)
        elif "requestBody" in operation:
            expected = (path, method) not in OPTIONAL_BODIES
            assert operation["requestBody"].get("required", False) is expected, (path, method)
        else:
            assert method in ("get", "delete"), (path, method)


def test_ids_in_paths_are_documented_with_the_database_range(spec):
    ids = [(path, p) for path, item in spec["paths"].items()
           for p in item.get("parameters", [])
           if p["in"] == "path" and p["name"] != "action"]  # fmt: skip
    assert len(ids) > 20
    for path, parameter in ids:
        bounds = (parameter["schema"]["minimum"], parameter["schema"]["maximum"])
        assert bounds == (1, 2**31 - 1), (path, parameter["name"])


def test_optional_filters_say_an_empty_value_means_not_given(spec, app, coordinator):
    parameters = spec["paths"]["/api/v1/cases"]["get"]["parameters"]
    assert all(p.get("allowEmptyValue") for p in parameters if not p.get("required"))
    [page] = [p["schema"] for p in parameters if p["name"] == "page"]
    assert (page["minimum"], page["maximum"]) == (1, 100_000)
    answer = client_for(app, coordinator).get("/api/v1/cases?status=&centre_id=&page=")
    assert answer.status_code == 200
    assert answer.get_json()["page"] == 1


def test_date_times_carry_an_offset(spec):
    dtstart = spec["components"]["schemas"]["BoardOut"]["properties"]["dtstart"]
    assert dtstart["format"] == "date-time"
    assert "offset" in dtstart["description"]
