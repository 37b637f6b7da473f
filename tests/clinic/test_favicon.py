"""The clinic's icon in the browser's tab, served as a static file like the rest."""

from pathlib import Path

from django.contrib.staticfiles import finders
from django.urls import reverse


def test_every_page_names_the_clinics_icon(client, db):
    html = client.get(reverse("login")).text
    assert '<link rel="icon" href="/static/clinic/favicon.svg" type="image/svg+xml">' in html
    icon = finders.find("clinic/favicon.svg")
    assert icon and "<svg" in Path(icon).read_text()


def test_the_browsers_own_request_for_the_icon_finds_it(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.url == "/static/clinic/favicon.svg"
