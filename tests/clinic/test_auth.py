"""The permissions backend answers what Django's model backend answers, in one query,
sync or async; signing out (an expired or made-up session cookie, a user made inactive)
is Django's own."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import backends, get_user_model
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session as HttpSession
from django.utils import timezone

from clinic import auth, roles
from tests import factories

pytestmark = pytest.mark.django_db


def fresh(user):
    """The user as the next request loads it, with no permissions cached."""
    return get_user_model().objects.get(pk=user.pk)


def test_own_and_group_permissions_in_one_query(django_assert_num_queries):
    user = factories.make_user(roles.RECEPTIONIST)
    user.user_permissions.add(Permission.objects.get(codename="add_room"))
    expected = backends.ModelBackend().get_all_permissions(fresh(user))
    user = fresh(user)
    with django_assert_num_queries(1):
        assert auth.ModelBackend().get_all_permissions(user) == expected
        assert user.has_perm("clinic.add_room") and user.has_perm("plans.view_session")
    assert "clinic.add_room" in expected and "patients.view_screening" not in expected


def test_the_async_permissions_are_djangos_in_one_query(django_assert_num_queries):
    user = factories.make_user(roles.CLINICIAN)
    user.user_permissions.add(Permission.objects.get(codename="add_room"))
    expected = async_to_sync(backends.ModelBackend().aget_all_permissions)(fresh(user))
    user = fresh(user)
    with django_assert_num_queries(1):
        assert async_to_sync(auth.ModelBackend().aget_all_permissions)(user) == expected
        assert async_to_sync(user.ahas_perm)("clinic.add_room")
        assert async_to_sync(user.ahas_module_perms)("plans")
    assert expected == backends.ModelBackend().get_all_permissions(fresh(user))
    assert "clinic.add_room" in expected


def test_the_async_permissions_of_superusers_and_inactive_users_are_djangos():
    boss = get_user_model().objects.create_superuser("boss", password=factories.PASSWORD)
    gone = factories.make_user(roles.CLINICIAN, is_active=False)
    for user in (boss, gone):
        ours = async_to_sync(auth.ModelBackend().aget_all_permissions)(fresh(user))
        assert ours == async_to_sync(backends.ModelBackend().aget_all_permissions)(fresh(user))
    assert not async_to_sync(auth.ModelBackend().aget_all_permissions)(fresh(gone))


def test_a_withdrawn_permission_counts_from_the_next_request():
    user = factories.make_user(roles.RECEPTIONIST)
    assert fresh(user).has_perm("plans.view_session")
    user.groups.clear()
    assert not fresh(user).has_perm("plans.view_session")


def test_superusers_hold_every_permission_and_inactive_users_none():
    boss = get_user_model().objects.create_superuser("boss", password=factories.PASSWORD)
    assert auth.ModelBackend().get_all_permissions(fresh(boss)) == {
        f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.all()
    }
    gone = factories.make_user(roles.CLINICIAN, is_active=False)
    assert auth.ModelBackend().get_all_permissions(fresh(gone)) == set()


def signed_out(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_user_made_inactive_is_signed_out_at_the_next_request(client):
    user = factories.make_user(roles.RECEPTIONIST)
    client.force_login(user)
    assert client.get("/schedule/").status_code == 200
    user.is_active = False
    user.save()
    assert signed_out(client.get("/schedule/"))


def test_an_expired_session_cookie_signs_the_user_out(client):
    client.force_login(factories.make_user(roles.RECEPTIONIST))
    assert client.get("/schedule/").status_code == 200
    HttpSession.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert signed_out(client.get("/schedule/"))


def test_a_session_cookie_made_up_by_the_browser_is_not_signed_in(client):
    client.cookies["sessionid"] = "x" * 32
    assert signed_out(client.get("/schedule/"))
