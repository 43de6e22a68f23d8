"""The page at ``/__mock/``, in a real headless Chromium (Debian's ``chromium``) driven by Playwright.

A person debugging a failing client test opens it; these tests do what that person does and keep
a screenshot of each step under build/test-artifacts/. Without Chromium they fail, saying how to
install it: CI installs it (.ci/run), and a page nobody loaded is not tested.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import NOW, LiveServer

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).parent.parent / "build" / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # no calls home from a machine with a closed network
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    found = os.environ.get("MOCKSERVER_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail(
            "Chromium is not installed: the page's tests need it. Install Debian's package "
            "(sudo apt-get install chromium) or point MOCKSERVER_CHROMIUM at a Chromium binary."
        )
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    running = LiveServer("--now", NOW.isoformat().replace("+00:00", "Z"), "--log-level", "info")
    yield running
    running.stop()


def open_page(browser: Any, url: str) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(url)
    # Loaded: refreshed once, or told why it could not be. (Locators, not evaluated strings: the
    # page's Content-Security-Policy refuses eval, Playwright's included.)
    page.locator("#summary", has_text="updated").or_(page.locator("#error:not(:empty)")).first.wait_for(timeout=5000)
    return page, problems


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_a_request_appears_in_the_journal_within_a_second(browser: Any, server: LiveServer) -> None:
    page, problems = open_page(browser, server.url + "/__mock/")
    path = "/reports/conversations"
    response = httpx.get(
        f"{server.url}/chatbotcom{path}", params={"from": "2025-03-01", "to": "2025-03-07"}, headers={"Authorization": "Bearer t"}
    )
    assert response.status_code == 200
    refused = httpx.get(
        f"{server.url}/chatbotcom/reports/conversations", params={"from": "soon"}, headers={"Authorization": "Bearer t"}
    )
    assert refused.status_code == 400
    from playwright.sync_api import expect

    rows = page.locator(f"#journal tbody tr[data-path='{path}']")
    expect(rows).to_have_count(2, timeout=1000)  # both, within a second
    assert "from" in rows.first.inner_text()  # the refusal's reason, newest first
    page.wait_for_selector("#world-charts svg polyline", timeout=10_000)  # the world, drawn in the page
    shot(page, "page-journal")
    assert problems == []
    log = server.output()  # the page's polls stay out of the log; the requests it shows do not
    assert "GET /chatbotcom/reports/conversations 200" in log and "/__mock/journal" not in log


def test_a_fault_added_through_the_api_shows_and_the_page_removes_it(browser: Any, server: LiveServer) -> None:
    page, problems = open_page(browser, server.url + "/__mock/")
    added = httpx.post(
        f"{server.url}/__mock/faults", json={"match": {"vendor": "chatbotcom"}, "action": {"status": 503}, "times": 1}
    ).json()
    row = page.locator(f"#faults tbody tr[data-rule='{added['id']}']")
    row.wait_for(timeout=1000)
    shot(page, "page-fault")
    row.get_by_role("button", name="Remove").click()
    row.wait_for(state="detached", timeout=1000)
    assert httpx.get(f"{server.url}/__mock/faults").json()["rules"] == []
    httpx.post(f"{server.url}/__mock/faults", json={"action": {"status": 500}})
    page.locator("#faults tbody tr").first.wait_for(timeout=1000)
    page.get_by_role("button", name="Clear all").click()
    page.locator("#faults tbody tr").first.wait_for(state="detached", timeout=1000)
    assert httpx.get(f"{server.url}/__mock/faults").json()["rules"] == []
    assert problems == []


def test_with_an_admin_token_the_page_uses_the_one_it_was_opened_with(browser: Any) -> None:
    token = "page-admin-token-1234"
    guarded = LiveServer("--admin-token", token)
    try:
        assert httpx.get(f"{guarded.url}/__mock/journal").status_code == 401
        page, problems = open_page(browser, f"{guarded.url}/__mock/#token={token}")
        assert token not in page.url  # taken out of the address bar, kept in the tab
        assert page.evaluate("sessionStorage.getItem('mockserver-token')") == token
        assert page.evaluate("localStorage.length") == 0
        httpx.get(f"{guarded.url}/generalbots/api/v1/analytics/usage", headers={"Authorization": "Bearer t"})
        page.locator("#journal tbody tr[data-path='/api/v1/analytics/usage']").wait_for(timeout=1000)
        assert problems == []
        unauthorised, _ = open_page(browser, f"{guarded.url}/__mock/")  # a new tab, without the token
        assert "answered 401" in unauthorised.locator("#error").inner_text()
        shot(unauthorised, "page-without-token")
    finally:
        guarded.stop()
