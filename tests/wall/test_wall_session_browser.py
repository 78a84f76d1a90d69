"""Sessions in a real browser: a reload and a deep link keep the sign-in; logout ends it.

Streamlit opens a new session per page load, so without the `witness_session` cookie
every reload would sign the officer out, and a deep link to a page would meet
Streamlit's English "Page not found" instead of the sign-in page.
"""

from __future__ import annotations

import time

from tests.support.wall_seed import PASSWORD
from tests.wall.conftest import wait_for
from witness.store import accounts


def _sign_in(driver, user: str = "li") -> None:
    from selenium.webdriver.common.by import By

    wait_for(driver, "//input[@aria-label='用户名']").send_keys(user)
    driver.find_element(By.XPATH, "//input[@aria-label='密码']").send_keys(PASSWORD)
    driver.find_element(By.XPATH, "//button[.//p[text()='登录']]").click()


def _signed_in(driver) -> bool:
    return "实时告警" in driver.page_source or "时间线" in driver.page_source


def test_reload_and_deep_links_keep_the_session_logout_ends_it(wall_server, browser):
    base, store = wall_server
    # a deep link before signing in: the sign-in page (in Chinese), then the page asked for
    browser.get(f"{base}/project?project=P1")
    wait_for(browser, "//input[@aria-label='用户名']")
    assert "Page not found" not in browser.page_source
    _sign_in(browser)
    wait_for(browser, "//*[contains(text(), '时间线')]")
    assert "/project" in browser.current_url

    browser.get(base)  # a reload of the wall
    wait_for(browser, "//*[contains(text(), '实时告警')]")
    browser.refresh()
    wait_for(browser, "//*[contains(text(), '实时告警')]")
    assert not browser.find_elements("xpath", "//input[@aria-label='密码']")
    browser.get(f"{base}/project?project=P2")  # deep link while signed in
    wait_for(browser, "//*[contains(text(), '时间线')]")
    cookie = browser.get_cookie("witness_session")
    assert cookie and cookie["sameSite"] == "Strict" and len(cookie["value"]) >= 40

    # deactivation ends the session: the next reload asks for a sign-in again
    accounts.set_active(store.engine, "li", False)
    browser.refresh()
    wait_for(browser, "//input[@aria-label='用户名']")
    accounts.set_active(store.engine, "li", True)
    _sign_in(browser)
    wait_for(browser, "//*[contains(text(), '时间线')]")

    # logout ends this screen's session and its cookie
    from selenium.webdriver.common.by import By

    wait_for(browser, "//button[.//p[text()='退出登录']]").click()
    wait_for(browser, "//input[@aria-label='用户名']")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (browser.get_cookie("witness_session") or {}).get(
        "value"
    ):
        time.sleep(0.2)
    assert not (browser.get_cookie("witness_session") or {}).get("value")
    browser.refresh()
    wait_for(browser, "//input[@aria-label='用户名']")
    assert not _signed_in(browser) and browser.find_elements(By.XPATH, "//input")
