"""The dashboard is served by the API itself, with nothing fetched from elsewhere; GET /me tells
it who signed in."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e


def test_the_dashboard_is_served_at_the_root_with_its_own_files_only(api):
    page = api.client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith(("/dashboard/", "#")) for s in sources), sources
    for source in (s for s in sources if s.startswith("/")):
        assert api.client.get(source).status_code == 200, source
    licence = api.client.get("/dashboard/vendor/chart.js-4.6.1/LICENSE.md")
    assert licence.status_code == 200 and "MIT" in licence.text


def test_the_dashboard_is_no_operation_of_the_api_document(api):
    paths = api.client.get("/openapi.json").json()["paths"]
    assert "/" not in paths and not any(p.startswith("/dashboard") for p in paths)


def test_me_says_who_signed_in_with_the_currency_and_the_servers_time(api, clock):
    me = api.as_("maria").get("/me").json()
    assert me == {"name": "maria", "role": "manager", "team": "east", "currency": "CNY",
                  "now": clock.now().isoformat()}  # fmt: skip
    assert api.client.get("/me").status_code == 401
