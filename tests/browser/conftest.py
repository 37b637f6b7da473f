"""Playwright drives Debian's Chromium (`apt-get install -y chromium`); never a download.

Without /usr/bin/chromium the browser tests are skipped, saying why.
"""

from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
WIDTHS = {"desktop": 1280, "tablet-landscape": 1024, "tablet": 768, "phone": 390}


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(
        reason=f"Chromium not installed at {CHROMIUM}: apt-get install -y chromium"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def pytest_report_header(config):
    if not Path(CHROMIUM).exists():
        return f"browser tests: SKIPPED, no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    return f"browser tests: Chromium at {CHROMIUM}"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ],
    }


@pytest.fixture
def shoot(page):
    """Save the page at desktop and phone width into screenshots/<name>-<width>.png; with
    `tablet=True`, at both tablet widths too (the pages the front desk runs on a tablet)."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(name: str, *, tablet: bool = False) -> None:
        for label, width in WIDTHS.items():
            if label.startswith("tablet") and not tablet:
                continue
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=SCREENSHOTS / f"{name}-{label}.png", full_page=True)
        page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})

    return take


@pytest.fixture
def sign_in(page, live_server):
    def login(username: str, password: str) -> None:
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()

    return login
