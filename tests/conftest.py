import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from clinic import roles
from tests import factories

# Playwright runs its own event loop in the test thread; Django's ORM calls from the
# live server and the fixtures are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The real hasher is slow on purpose; tests only need passwords that check.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def two_factor_not_required(settings):
    # Production requires admins to give a second factor; the tests sign in with
    # `force_login`, which gives none, so it is lifted here. The sign-in tests turn it on.
    settings.CLINIC_REQUIRE_TWO_FACTOR = False


@pytest.fixture
def clinic_admin(db):
    return factories.make_user(roles.ADMIN, username="alex.admin", is_staff=True)


@pytest.fixture
def receptionist(db):
    return factories.make_user(roles.RECEPTIONIST, username="rita.desk")


@pytest.fixture
def clinician(db):
    return factories.make_clinician()


@pytest.fixture
def patient(db):
    return factories.make_patient()


# The suite's "now": a fixed instant, so no test depends on the day it runs. CI runs the
# suite again with CLINIC_TEST_NOW set to other days (weekends, month ends, 29 February,
# both changes of the clocks) to show that none depends on this one either.
TEST_NOW = os.environ.get("CLINIC_TEST_NOW", "2026-12-03T10:00:00+01:00")


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """The clinic's clock (`clinic.clock`), held at TEST_NOW; `clock.set(instant)` moves it."""
    from clinic import clock as seam

    class Clock:
        now = datetime.fromisoformat(TEST_NOW)
        if now.tzinfo is None:
            now = now.replace(tzinfo=ZoneInfo("Europe/Paris"))

        def set(self, instant: datetime) -> None:
            self.now = instant

        def today(self):
            return self.now.astimezone(ZoneInfo("Europe/Paris")).date()

    held = Clock()
    monkeypatch.setattr(seam, "_source", lambda: held.now)
    return held
