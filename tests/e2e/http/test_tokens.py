"""Bearer tokens expire (90 days unless configured), are rotated on the command line, and are
revoked at once when their user is deactivated; each refusal is a 401 saying why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import build
from api.cli import main
from api.settings import Settings
from api.users import Role

pytestmark = pytest.mark.e2e


@pytest.fixture
def service(tmp_path, clock, embedded_env):
    embedded_env(tmp_path / "data")
    settings = Settings(data_dir=tmp_path / "data", database_url=None, kafka_bootstrap=None,
                        token_days=30)  # fmt: skip
    container = build(settings, clock=clock)
    token = container.users.add("lena", Role.REP, "north", clock.now())
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield container, client, token
    container.close()


def pool(client, token):
    return client.get("/pool", headers={"Authorization": f"Bearer {token}"})


def test_a_token_expires_after_its_lifetime_and_says_so(service, clock):
    container, client, token = service
    clock.advance(days=30, seconds=-1)
    assert pool(client, token).status_code == 200
    clock.advance(seconds=1)
    expired = pool(client, token)
    assert expired.status_code == 401
    assert "expired" in expired.json()["detail"] and "--rotate" in expired.json()["detail"]
    assert expired.headers["WWW-Authenticate"] == "Bearer"


def test_a_rotated_token_replaces_the_old_one(service, capsys):
    container, client, token = service
    assert main(["users", "token", "lena", "--rotate"]) == 0
    new = capsys.readouterr().out.strip()
    assert pool(client, token).status_code == 401
    assert pool(client, new).status_code == 200
    assert main(["users", "token", "lena"]) == 0
    assert "valid until" in capsys.readouterr().out
    assert main(["users", "token", "nobody", "--rotate"]) == 1


def test_deactivation_revokes_the_token_at_once(service):
    container, client, token = service
    container.users.set_active("lena", False)
    revoked = pool(client, token)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]


def test_an_unknown_token_is_not_valid(service):
    _, client, _ = service
    assert pool(client, "made-up").json()["detail"] == "the bearer token is not valid"


def test_demo_users_get_new_tokens_once_theirs_expired(tmp_path, embedded_env, capsys):
    embedded_env(tmp_path / "data")
    assert main(["demo-users"]) == 0
    first = capsys.readouterr().out
    assert main(["demo-users"]) == 0
    assert capsys.readouterr().out == first  # still valid: the same tokens reprinted
    settings = Settings(data_dir=tmp_path / "data", database_url=None, kafka_bootstrap=None)
    container = build(settings)
    try:
        expires = container.users.token_expires_at("ada")
        assert expires is not None
        assert timedelta(days=89) < expires - container.clock.now() <= timedelta(days=90)
        with container.db.transaction():  # ninety days later
            container.db.execute("UPDATE users SET token_expires_at = ?", ("2000-01-01T00:00Z",))
    finally:
        container.close()
    assert main(["demo-users"]) == 0
    renewed = capsys.readouterr().out
    assert renewed != first and len(renewed.splitlines()) == len(first.splitlines())
