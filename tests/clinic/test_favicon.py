"""The clinic's icon in the browser's tab, served as a static file like the rest."""

from pathlib import Path

from django.contrib.staticfiles import finders
from django.urls import reverse


def test_every_page_names_the_clinics_icon(client, db):
    html = client.get(reverse("login")).text
    assert '<link rel="icon" href="/static/clinic/favicon.svg" type="image/svg+xml">' in html
    icon = finders.find("clinic/favicon.svg")
    assert icon and "<svg" in Path(icon).read_text()
