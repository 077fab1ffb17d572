"""Bearer JWTs from an identity provider (SALESLEDGER_OIDC_*): signed by the issuer's key
(published as a JWKS), within their expiry and audience, naming a user of the directory by a
claim. Tested with a key made here, its JWKS served on loopback."""

from __future__ import annotations

import functools
import json
import threading
from datetime import timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import build
from api.settings import Settings
from api.users import Role

pytestmark = pytest.mark.e2e
ISSUER = "https://id.example.cn"


@pytest.fixture
def signing_key(tmp_path):
    """A key of the identity provider, its JWKS served on loopback as the provider would."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    (tmp_path / "jwks.json").write_text(
        json.dumps({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]})
    )
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield key, f"http://127.0.0.1:{server.server_port}/jwks.json"
    server.shutdown()


@pytest.fixture
def service(tmp_path, clock, signing_key):
    _, jwks = signing_key
    settings = Settings(data_dir=tmp_path / "data", database_url=None, kafka_bootstrap=None,
                        oidc_issuer=ISSUER, oidc_jwks_url=jwks,
                        oidc_audience="salesledger")  # fmt: skip
    container = build(settings, clock=clock)
    container.users.add("lena", Role.REP, "north", clock.now())
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield container, client
    container.close()


def token(key, clock, **claims) -> str:
    now = clock.now()
    body = {"iss": ISSUER, "aud": "salesledger", "preferred_username": "lena",
            "iat": now, "exp": now + timedelta(hours=1), **claims}  # fmt: skip
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": "k1"})


def pool(client, bearer):
    return client.get("/pool", headers={"Authorization": f"Bearer {bearer}"})


def test_a_jwt_of_the_issuer_signs_in_its_user(service, signing_key, clock):
    container, client = service
    key, _ = signing_key
    assert pool(client, token(key, clock)).status_code == 200


@pytest.mark.parametrize(("claims", "why"), [
    ({"preferred_username": "ghost"}, "no SalesLedger user"),
    ({"aud": "another-app"}, "not valid"),
    ({"iss": "https://evil.example"}, "not valid"),
])  # fmt: skip
def test_a_jwt_for_someone_else_is_refused(service, signing_key, clock, claims, why):
    _, client = service
    key, _ = signing_key
    refused = pool(client, token(key, clock, **claims))
    assert refused.status_code == 401 and why in refused.json()["detail"]


def test_an_expired_jwt_or_a_foreign_key_is_refused(service, signing_key, clock):
    _, client = service
    key, _ = signing_key
    old = token(key, clock, exp=clock.now() - timedelta(minutes=1))
    assert "expired" in pool(client, old).json()["detail"]
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert pool(client, token(stranger, clock)).status_code == 401


def test_a_deactivated_user_is_refused_with_a_valid_jwt(service, signing_key, clock):
    container, client = service
    key, _ = signing_key
    container.users.set_active("lena", False)
    refused = pool(client, token(key, clock))
    assert refused.status_code == 401 and "deactivated" in refused.json()["detail"]
