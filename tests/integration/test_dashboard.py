"""The dashboard in a real browser: Debian's headless Chromium, driven by selenium, against the
API served by uvicorn on loopback. What it shows must be what the API answers the same user,
live and as of the day the date control is moved to. Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from tests.builders import play_leads
from tests.servers import serving

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "dashboard"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# as the machine's notes say: without the background-networking flags Chromium keeps trying
# hosts this closed network refuses
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1600", "--lang=en-US")  # fmt: skip


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        message = "Chromium is not installed: `make services` installs it (scripts/services.sh)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


@pytest.fixture
def played(container, clock) -> dict[str, list]:
    """Two weeks of the east team's and the west team's sales: deals opened in the first week,
    more and further along in the second, so that the past and now differ. Returns each rep's
    deals."""
    east = {0: "ryan", 1: "rita"}
    first = play_leads(container.app, clock, 4, rep=lambda n: east[n % 2], stage="needs")
    wills = play_leads(container.app, clock, 2, rep=lambda n: "will", stage="proposal")
    clock.advance(days=7)
    later = play_leads(container.app, clock, 3, rep=lambda n: "ryan", stage="negotiation",
                       amount=lambda n: Decimal(250_000 + n))  # fmt: skip
    wills += play_leads(container.app, clock, 2, rep=lambda n: "will", claimed=lambda n: n == 0)
    container.after_command()
    return {"ryan": first[::2] + later, "rita": first[1::2], "will": wills}


@pytest.fixture
def server(container, played) -> Iterator[str]:
    with serving(container) as url:
        yield url


class Dashboard:
    """The page as a user works it: with the keyboard and the mouse, reading what it shows."""

    def __init__(self, driver: webdriver.Chrome, base: str, token: str) -> None:
        self.driver, self.base, self.token = driver, base, token

    def sign_in(self) -> None:
        self.driver.get(self.base + "/")
        self.driver.find_element(By.ID, "token").send_keys(self.token, Keys.ENTER)
        self.shown("overview")

    def shown(self, view: str, route: str | None = None) -> None:
        """Waits until `view` (at `route`, its address after the #) is drawn."""

        def ready(driver) -> bool:
            main = driver.find_element(By.ID, "view")
            return main.get_attribute("aria-busy") == "false" and (
                main.get_attribute("data-view") == view
                and main.get_attribute("data-route") in (route or view, None if route else "")
            )

        WebDriverWait(self.driver, 20).until(ready)

    def as_of(self) -> str:
        return self.driver.find_element(By.ID, "view").get_attribute("data-as-of")

    def go(self, view: str) -> None:
        self.driver.find_element(By.CSS_SELECTOR, f'nav a[data-view="{view}"]').click()
        self.shown(view)

    def table(self, name: str) -> dict[str, dict[str, str]]:
        rows = self.driver.find_elements(By.CSS_SELECTOR, f'table[data-table="{name}"] tbody tr')
        return {
            row.get_attribute("data-key"): {
                cell.get_attribute("data-field"): cell.get_attribute("data-value")
                for cell in row.find_elements(By.TAG_NAME, "td")
            }
            for row in rows
        }

    def screenshot(self, name: str) -> None:
        self.driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))

    def api(self, path: str, **params) -> dict:
        answer = httpx.get(self.base + path, params=params,
                           headers={"Authorization": f"Bearer {self.token}"})  # fmt: skip
        assert answer.status_code == 200, answer.text
        return answer.json()


def funnel_of(report: dict) -> dict[str, dict[str, float]]:
    return {s["stage"]: {k: float(s[k]) for k in ("count", "amount", "weighted_amount")}
            for s in report["stages"]}  # fmt: skip


def shown_funnel(page: Dashboard) -> dict[str, dict[str, float]]:
    return {stage: {k: float(v) for k, v in row.items() if k != "stage"}
            for stage, row in page.table("funnel").items()}  # fmt: skip


def test_a_manager_sees_the_funnel_now_and_as_of_a_past_day_and_a_deals_story(
    browser, server, tokens, played
):
    page = Dashboard(browser, server, tokens["maria"])
    page.sign_in()
    assert page.as_of() == ""  # live
    assert shown_funnel(page) == funnel_of(page.api("/reports/funnel"))
    assert browser.find_elements(By.CSS_SELECTOR, "canvas[role=img]")  # the charts are drawn
    page.screenshot("overview-live")

    slider = browser.find_element(By.ID, "as-of-slider")
    slider.send_keys(*[Keys.ARROW_RIGHT] * 7)  # a week back, by keyboard
    page.shown("overview")
    moment = page.as_of()
    assert moment and browser.find_element(By.ID, "as-of-slider").get_attribute("value") == "7"
    then = funnel_of(page.api("/reports/funnel", as_of=moment))
    assert shown_funnel(page) == then and then != funnel_of(page.api("/reports/funnel"))
    page.screenshot("overview-a-week-back")

    deal = str(played["ryan"][-1])
    history = page.api(f"/opportunities/{deal}/history")
    page.go("record")
    Select(browser.find_element(By.ID, "record-kind")).select_by_value("opportunity")
    browser.find_element(By.ID, "record-id").send_keys(deal, Keys.ENTER)
    page.shown("record", f"record/opportunity/{deal}")
    shown = browser.find_elements(By.CSS_SELECTOR, "ol.timeline li")
    assert [li.get_attribute("data-version") for li in shown] == [
        str(e["version"]) for e in history["events"]
    ]
    assert history["events"][0]["type"] in shown[0].text and "ryan" in shown[0].text
    page.screenshot("deal-timeline")

    Select(browser.find_element(By.ID, "language")).select_by_value("zh-CN")
    page.shown("record", f"record/opportunity/{deal}")
    assert browser.find_element(By.CSS_SELECTOR, 'nav a[data-view="overview"]').text == "总览"
    page.go("overview")
    page.screenshot("overview-zh")


def test_a_rep_sees_only_their_own_and_claims_from_the_pool(browser, server, tokens, played):
    page = Dashboard(browser, server, tokens["will"])
    page.sign_in()
    assert shown_funnel(page) == funnel_of(page.api("/reports/funnel"))
    mine = sum(s["count"] for s in funnel_of(page.api("/reports/funnel")).values())
    assert mine == len(played["will"])  # his deals, not the east team's

    page.go("team")
    assert set(page.table("team")) == {"will", "average"}

    page.go("pool")
    pool = page.api("/pool")["leads"]
    assert set(page.table("pool")) == {lead["id"] for lead in pool} and pool
    assert all("***" in (lead["contact"]["phone"] or "***") for lead in pool)  # masked
    page.screenshot("pool-as-a-rep")
    claim = browser.find_element(By.CSS_SELECTOR, 'table[data-table="pool"] button')
    claim.send_keys(Keys.ENTER)  # by keyboard
    WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "p.notice"))
    page.shown("pool")
    assert len(page.api("/pool")["leads"]) == len(pool) - 1
    assert set(page.table("pool")) == {lead["id"] for lead in page.api("/pool")["leads"]}

    browser.get(f"{server}/#record/opportunity/{played['ryan'][0]}")  # another rep's deal
    page.shown("record", f"record/opportunity/{played['ryan'][0]}")
    assert browser.find_element(By.CSS_SELECTOR, "main p.error").text  # refused, not shown
    assert not browser.find_elements(By.CSS_SELECTOR, "ol.timeline li")
    page.screenshot("another-reps-deal-refused")


def test_every_control_has_a_label_and_the_page_loads_nothing_from_elsewhere(
    browser, server, tokens
):
    page = Dashboard(browser, server, tokens["ada"])
    page.sign_in()
    for view in ("overview", "team", "pool", "agenda", "movement", "record"):
        page.go(view)
        unlabelled = browser.execute_script(UNLABELLED)
        assert unlabelled == [], (view, unlabelled)
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert loaded and all(url.startswith(server) for url in loaded), loaded


# controls with neither a <label for>, an aria-label nor (buttons, links) text of their own
UNLABELLED = """
return [...document.querySelectorAll('input, select, button, a')].filter(c => {
  if (c.closest('[hidden]')) return false;
  if (c.getAttribute('aria-label')) return false;
  if (c.id && document.querySelector(`label[for="${c.id}"]`)) return false;
  if ((c.tagName === 'BUTTON' || c.tagName === 'A') && c.textContent.trim()) return false;
  return true;
}).map(c => c.outerHTML.slice(0, 120));
"""
