import os

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
