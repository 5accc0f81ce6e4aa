"""Headless Chromium for tests that look at what a person sees (Debian's chromium + chromedriver,
installed by ``make test``); an explicit driver, so Selenium Manager never calls the network."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@contextmanager
def chromium(profile_parent: Path) -> Iterator[Any]:
    """A headless Chromium WebDriver with its own profile folder under ``profile_parent``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1200,900",
    ):
        options.add_argument(arg)
    profile = tempfile.mkdtemp(prefix="chromium-", dir=profile_parent)
    options.add_argument(f"--user-data-dir={profile}")
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


# Selects from the first words to the last words over the editor's text nodes, as a mouse drag
# would (a DOM Range, in the browser's own units), then releases the button.
_SELECT = """
const [first, last] = arguments;
const root = document.querySelector('.lsf-richtext__container');
const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
const nodes = [];
let all = '';
for (let node; (node = walker.nextNode()); ) {
  nodes.push([node, all.length]);
  all += node.data;
}
const start = all.indexOf(first);
const end = all.indexOf(last, start) + last.length;
if (start < 0 || end < start + last.length) return false;
const at = (offset) => {
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (nodes[i][1] <= offset) return [nodes[i][0], offset - nodes[i][1]];
  }
};
const range = document.createRange();
range.setStart(...at(start));
range.setEnd(...at(end));
const selection = window.getSelection();
selection.removeAllRanges();
selection.addRange(range);
root.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
return true;
"""


def login(url: str, email: str, password: str) -> dict[str, str]:
    """A Label Studio user's browser session cookies, from the login form."""
    with httpx.Client(base_url=url, timeout=30, follow_redirects=False) as web:
        web.get("/user/login/")
        answer = web.post(
            "/user/login/",
            data={
                "csrfmiddlewaretoken": web.cookies["csrftoken"],
                "email": email,
                "password": password,
            },
            headers={"Referer": f"{url}/user/login/"},
        )
        assert answer.status_code == 302, answer.text[:300]
        return {c.name: c.value for c in web.cookies.jar if c.value}


def sign_in(driver: Any, url: str, email: str, password: str) -> None:
    """Log in through Label Studio's login form, as a coder does."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{url}/user/login/")
    driver.find_element(By.CSS_SELECTOR, "input[name='email']").send_keys(email)
    driver.find_element(By.CSS_SELECTOR, "input[name='password']").send_keys(password)
    driver.find_element(By.XPATH, "//button[normalize-space()='Log in']").click()
    WebDriverWait(driver, 60).until(lambda d: "/user/login" not in d.current_url)


def add_session(driver: Any, url: str, cookies: dict[str, str]) -> None:
    """Use a session made outside the browser (its cookies)."""
    driver.get(f"{url}/user/login/")
    for name, value in cookies.items():
        driver.add_cookie({"name": name, "value": value, "path": "/"})


def code_in_editor(
    driver: Any,
    url: str,
    project: int,
    task: int,
    marks: Sequence[tuple[str, str, str]],
    then: Any = None,
) -> None:
    """In Label Studio's own editor, mark each ``(label, first words, last words)`` as a coder
    would (pick the label, drag from the first words to the last), call ``then()`` (to fill the
    regions' fields), and submit."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{url}/projects/{project}/data?task={task}")
    WebDriverWait(driver, 120).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".lsf-richtext__container")
    )
    time.sleep(2)
    for label, first, last in marks:
        driver.find_element(
            By.XPATH, f"//span[contains(@class,'lsf-label__text') and text()='{label}']"
        ).click()
        assert driver.execute_script(_SELECT, first, last), (first, last)
        time.sleep(0.7)
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
        time.sleep(0.3)
    if then is not None:
        then()
    driver.find_element(By.XPATH, "//button[normalize-space()='Submit']").click()
    time.sleep(3)


def _into_view(driver: Any, element: Any) -> Any:
    # The editor's bottom bar covers the page's lower edge: bring each control to the middle.
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    return element


def fill_region(driver: Any, region_text: str, values: dict[str, tuple[str, Any]]) -> None:
    """Select the region whose text starts with ``region_text`` in the editor's region list and
    fill its per-region controls as a coder would: ``values`` maps a field to ``(control tag,
    value)``. Controls are found under the field's header, as the generated config shows it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    time.sleep(0.5)
    driver.find_element(
        By.XPATH, f"//*[contains(@class,'outliner')]//*[contains(text(),'{region_text}')]"
    ).click()
    time.sleep(1)
    for field, (tag, value) in values.items():
        if tag == "Choices":
            header = (
                f"//h4[normalize-space()='{field} (required)' "
                f"or normalize-space()='{field} (optional)']"
            )
            options = driver.find_elements(
                By.XPATH,
                f"{header}/following-sibling::div[contains(@class,'lsf-choices')]"
                f"//input[@type='radio' and @name='{value}']/ancestor::label[1]",
            )
            shown = [o for o in options if o.is_displayed()]
            assert shown, (field, value)
            _into_view(driver, shown[0]).click()
        elif tag == "DateTime":
            # Typed without a click, so that the keys start at the month.
            driver.find_element(By.CSS_SELECTOR, f"input[name='{field}-date']").send_keys(
                value.strftime("%m%d%Y")
            )
        else:  # TextArea (one submission: Enter, or Shift+Enter when it has several rows), Number
            box = _into_view(driver, driver.find_element(By.CSS_SELECTOR, f"[name='{field}']"))
            box.click()
            box.send_keys(str(value))
            if tag == "TextArea":
                rows = box.get_attribute("rows") or "1"
                box.send_keys(*(Keys.SHIFT, Keys.ENTER) if rows != "1" else (Keys.ENTER,))
            else:
                box.send_keys(Keys.TAB)
        time.sleep(0.4)
