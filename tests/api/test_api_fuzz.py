"""Property-based fuzzing of every operation in ``/api/v1/openapi.json`` (schemathesis).

For each role (referring doctor, board member, coordinator, administrator) a bearer token
drives every documented operation against a network with data (the ``held`` scene: boards,
sessions held and to come, cases in several states, recommendations, referrals,
agreements). Requests come both as the document describes them and deliberately outside
it (wrong types, numbers and dates out of range, missing fields). The API must never
answer 5xx, and every answer must be a documented status with a body of its documented
schema. Bounded for CI: few examples per operation, no deadline, derandomised (the same
requests every run); shorter on PostgreSQL.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from telemed.auth import tokens
from telemed.auth.models import User
from tests.conftest import committed

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]  # fmt: skip
ON_POSTGRESQL = os.environ.get("TELEMED_TEST_DATABASE_URL", "").startswith("postgresql")
EXAMPLES = 10 if ON_POSTGRESQL else 30  # per operation and role, half of them off the document
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
)  # fmt: skip


@pytest.fixture
def network_with_data(held: Any, make_case: Any, referring: User) -> None:
    """Besides the held session's record: a draft and a case waiting for the coordinator."""
    make_case(by=referring, submit=False)
    make_case(by=referring)


@pytest.mark.parametrize("role", ["referring", "chair", "coordinator", "admin"])
def test_no_operation_answers_5xx_or_off_its_documented_schema(
    app: Flask, network_with_data: None, role: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(role)
    secret = committed(tokens.create_token(user, "fuzz"))[1]
    auth = {"Authorization": f"Bearer {secret}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []

    for result in schema.get_all_operations():
        operation = result.ok()
        cases = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @FUZZ
        @given(case=cases)
        def call(case: Any) -> None:
            response = case.call(headers=auth)
            try:
                case.validate_response(response, checks=CHECKS, headers=auth)
            except BaseExceptionGroup as found:  # schemathesis's FailureGroup
                failures.append(
                    f"{case.operation.label} as {role}: {found}\n  path={case.path_parameters} "
                    f"query={case.query} body={case.body!r}"
                )

        call()

    assert not failures, "\n\n".join(failures[:20])
