"""The access matrix: every endpoint × every kind of caller → the documented answer.

The scene: ryan (a rep of east) holds lead L and owns the open deal O; lead P waits in the
pool; A is the after-sale alert of a deal ryan won. The callers: ryan (holds it), rita (a rep
of the same team), will (a rep of another team), maria (the team's manager), wes (a manager of
another team), ada (admin), and no token. Every cell runs on a scene of its own.

The table is printed in the README (`python -m tests.e2e.http.test_access_matrix` renders it;
a test checks the README has it as rendered).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import capture, open_deal

pytestmark = pytest.mark.e2e
CALLERS = ("ryan", "rita", "will", "maria", "wes", "ada", None)
HEADINGS = ("holder", "same-team rep", "other-team rep", "team manager", "other manager",
            "admin", "no token")  # fmt: skip
README = Path(__file__).resolve().parents[3] / "README.md"
DEAL = {"name": "D", "customer": "C", "amount": 10, "expected_close": "2027-01-01"}
CONVERT = {"name": "D", "amount": 10, "expected_close": "2027-01-01"}
BANT = {"budget": 1, "authority": "staff", "need_clear": False, "timeline_days": 1}
OWN = (200, 403, 403, 200, 403, 200, 401)  # the holder, their manager and an admin
ADMIN = (403, 403, 403, 403, 403, 200, 401)
MANAGERS = (403, 403, 403, 200, 200, 200, 401)
EVERYONE = (200, 200, 200, 200, 200, 200, 401)

# (method, path, body, answers per caller in CALLERS order)
MATRIX: list[tuple[str, str, dict | None, tuple[int, ...]]] = [
    ("GET", "/leads/{L}", None, OWN),
    ("GET", "/leads/{L}/why", None, OWN),
    ("GET", "/leads/{L}/history", None, OWN),
    ("GET", "/leads/{P}", None, EVERYONE),
    ("POST", "/leads/{L}/follow-ups", {"method": "call", "summary": "s"}, OWN),
    ("POST", "/leads/{L}/qualify", None, OWN),
    ("POST", "/leads/{L}/disqualify", {"reason": "r"}, OWN),
    ("POST", "/leads/{L}/nurture", {}, OWN),
    ("POST", "/leads/{L}/release", {"reason": "r"}, OWN),
    ("POST", "/leads/{L}/corrections", {"changes": {"company": "X"}}, OWN),
    ("POST", "/leads/{L}/convert", CONVERT, (201, 403, 403, 201, 403, 201, 401)),
    ("POST", "/leads/{L}/score", BANT, OWN),
    ("POST", "/leads/{L}/assign", {"rep": "rita"}, (403, 403, 403, 200, 403, 200, 401)),
    ("POST", "/leads", {"source": "web", "company": "A", "contact": {"name": "L"}},
     (201, 201, 201, 201, 201, 201, 401)),
    ("POST", "/leads/{P}/claim", None, EVERYONE),
    ("POST", "/leads/{P}/score", BANT, MANAGERS),
    ("POST", "/leads/{P}/assign", {"rep": "rita"}, (403, 403, 403, 200, 403, 200, 401)),
    ("POST", "/leads/{P}/corrections", {"changes": {"company": "X"}}, ADMIN),
    ("POST", "/leads/{P}/convert", CONVERT, (403, 403, 403, 403, 403, 201, 401)),
    ("POST", "/leads/{L}/erase-contact", None, ADMIN),
    ("GET", "/pool", None, EVERYONE),
    ("GET", "/opportunities/{O}", None, OWN),
    ("GET", "/opportunities/{O}/history", None, OWN),
    ("POST", "/opportunities/{O}/stage", {"stage": "needs"}, OWN),
    ("POST", "/opportunities/{O}/amount", {"amount": 20}, OWN),
    ("POST", "/opportunities/{O}/close-date", {"expected_close": "2027-02-01"}, OWN),
    ("POST", "/opportunities/{O}/follow-ups", {"method": "call", "summary": "s"}, OWN),
    ("POST", "/opportunities/{O}/win", {}, OWN),
    ("POST", "/opportunities/{O}/lose", {"reason": "price"}, OWN),
    ("POST", "/opportunities/{O}/reassign", {"rep": "rita"}, (403, 403, 403, 200, 403, 200, 401)),
    ("POST", "/opportunities", DEAL, (201, 201, 201, 201, 201, 201, 401)),
    ("GET", "/reports/funnel", None, EVERYONE),
    ("GET", "/reports/funnel?team=west", None, (403, 403, 403, 403, 200, 200, 401)),
    ("GET", "/reports/rep-activity?rep=rita", None, (403, 200, 403, 200, 200, 200, 401)),
    ("GET", "/reports/win-rate", None, EVERYONE),
    ("GET", "/reports/weekly?rep=ryan", None, (200, 403, 403, 200, 403, 200, 401)),
    ("GET", "/reports/monthly-review", None, EVERYONE),
    ("PUT", "/pipelines/hw", {"stages": [{"key": "demo", "probability": 0.5}]}, ADMIN),
    ("GET", "/pipelines/general", None, EVERYONE),
    ("PUT", "/targets/2026", {"company": 1000}, ADMIN),
    ("PUT", "/rules/pool", {"rules": [{"name": "r"}]}, ADMIN),
    ("GET", "/rules/pool", None, EVERYONE),
    ("PUT", "/rules/claims", {"max_held": 10}, ADMIN),
    ("PUT", "/rules/assignment", {"rules": []}, ADMIN),
    ("PUT", "/users/rita/tags", {"tags": ["senior"]}, ADMIN),
    ("POST", "/users/rita/deactivate", None, ADMIN),
    ("GET", "/users", None, MANAGERS),
    ("GET", "/me", None, EVERYONE),
    ("GET", "/me/agenda", None, EVERYONE),
    ("GET", "/alerts", None, EVERYONE),
    ("POST", "/alerts/{A}/ack", None, OWN),
    ("GET", "/schemas/events", None, (200, 200, 200, 200, 200, 200, 200)),  # public
]  # fmt: skip
CELLS = [(m, p, b, caller, answers[i]) for m, p, b, answers in MATRIX
         for i, caller in enumerate(CALLERS)]  # fmt: skip


def scene(container, ryan) -> dict[str, str]:
    app = container.app
    held = capture(app, ryan())
    app.claim_lead(ryan(), held)
    won = open_deal(app, ryan())
    app.win_opportunity(ryan(), won)
    deal = open_deal(app, ryan())
    container.after_command()

    [after_sale] = container.docs.reader("ledger").read("SELECT alert_id FROM rm_alert")
    return {"L": str(held), "P": str(capture(app, ryan())), "O": str(deal),
            "A": str(after_sale[0])}  # fmt: skip


CELL_NAMES = [f"{m} {p} as {c or 'nobody'}" for m, p, _, c, _ in CELLS]


@pytest.mark.parametrize(("method", "path", "body", "caller", "answer"), CELLS, ids=CELL_NAMES)
def test_access_matrix(api, container, ryan, method, path, body, caller, answer):
    ids = scene(container, ryan)
    url = path.format(**ids)
    headers = {} if caller is None else {"Authorization": f"Bearer {api.tokens[caller]}"}
    response = api.client.request(method, url, json=body, headers=headers)
    assert response.status_code == answer, response.text


def render() -> str:
    """The matrix as the README shows it."""
    lines = ["| call | " + " | ".join(HEADINGS) + " |", "|---" * (len(HEADINGS) + 1) + "|"]
    for method, path, _, answers in MATRIX:
        lines.append(f"| `{method} {path}` | " + " | ".join(map(str, answers)) + " |")
    return "\n".join(lines) + "\n"


def test_the_readme_shows_the_matrix_the_test_checks():
    assert render() in README.read_text(), "run python -m tests.e2e.http.test_access_matrix"


if __name__ == "__main__":
    print(render(), end="")
