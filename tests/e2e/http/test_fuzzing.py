"""Schemathesis over the OpenAPI document, as an admin, a manager and a rep, against the
embedded app: no answer is a 5xx, and every answer's status, content type and body are those
the document gives for the operation. Bounded in examples (eight an operation), so it takes
about a minute. (The app is built when the module is collected: schemathesis makes one test
per operation from its document.)"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.bootstrap import build
from api.settings import Settings
from api.users import Role

pytestmark = pytest.mark.e2e
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]  # fmt: skip
FOLDER = Path(tempfile.mkdtemp(prefix="salesledger-fuzz-"))
atexit.register(shutil.rmtree, FOLDER, True)
CONTAINER = build(Settings(data_dir=FOLDER, database_url=None, kafka_bootstrap=None))
atexit.register(CONTAINER.close)
TOKENS = [
    CONTAINER.users.add(name, role, team, datetime.now(UTC))
    for name, role, team in (("ada", Role.ADMIN, None), ("maria", Role.MANAGER, "east"),
                             ("ryan", Role.REP, "east"))
]  # fmt: skip
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(CONTAINER))


@schema.parametrize()
@hypothesis.settings(
    max_examples=8, deadline=None, suppress_health_check=list(hypothesis.HealthCheck)
)
def test_the_api_answers_as_its_openapi_document_says(case):
    for token in TOKENS:  # each generated request as an admin, a manager and a rep
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
