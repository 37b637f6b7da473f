"""Django's model backend, reading a user's permissions in one query instead of two.

Every page asks for permissions (the access checks, the menu), so Django's two queries,
the user's own permissions then their groups', are paid on every request. Here both come
in one statement, written out (`_permissions_sql`): the ORM's version of it joined every
permission to every group and took longer to build than the database took to run it.
The answers are the same as Django's (the tests compare), and still read afresh on every
request, so a permission an admin grants or withdraws counts from the user's next page.
The async `aget_all_permissions` runs the same statement: Django 6.1 has no async cursor,
so it goes through `sync_to_async` as Django's own async reads do.

Everything else, reading the signed-in user included, is Django's.
"""

from functools import cache

from asgiref.sync import sync_to_async
from django.contrib.auth import backends, get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection


class ModelBackend(backends.ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = _permissions(user_obj)
        return user_obj._perm_cache

    async def aget_all_permissions(self, user_obj, obj=None):
        # Django's async twin makes its own two queries; this one runs the sync one's
        # statement and shares its cache, so both ways answer alike.
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = await sync_to_async(_permissions)(user_obj)
        return user_obj._perm_cache


def _permissions(user) -> set[str]:
    """Every permission the user holds, themselves or by a group, as "app_label.codename"."""
    sql, params = _permissions_sql(), [user.pk, user.pk]
    if user.is_superuser:
        sql, params = _all_permissions_sql(), []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {f"{app_label}.{codename}" for app_label, codename in cursor.fetchall()}


def _names():
    """Quoted table and foreign key column names, from the models' own meta (the primary
    keys, `id`, and `app_label` and `codename` are contrib's own)."""
    q = connection.ops.quote_name
    user_permission = get_user_model().user_permissions.through._meta
    user_group = get_user_model().groups.through._meta
    group_permission = Group.permissions.through._meta
    return {
        "permission": q(Permission._meta.db_table),
        "content_type": q(ContentType._meta.db_table),
        "content_type_id": q(Permission._meta.get_field("content_type").column),
        "user_permission": q(user_permission.db_table),
        "up_user": q(user_permission.get_field("user").column),
        "up_permission": q(user_permission.get_field("permission").column),
        "user_group": q(user_group.db_table),
        "ug_user": q(user_group.get_field("user").column),
        "ug_group": q(user_group.get_field("group").column),
        "group_permission": q(group_permission.db_table),
        "gp_group": q(group_permission.get_field("group").column),
        "gp_permission": q(group_permission.get_field("permission").column),
    }


@cache
def _all_permissions_sql() -> str:
    return (
        "SELECT ct.app_label, p.codename FROM {permission} p"
        " JOIN {content_type} ct ON ct.id = p.{content_type_id}"
    ).format(**_names())


@cache
def _permissions_sql() -> str:
    return _all_permissions_sql() + (
        " WHERE p.id IN ("
        " SELECT {up_permission} FROM {user_permission} WHERE {up_user} = %s"
        " UNION"
        " SELECT gp.{gp_permission} FROM {group_permission} gp"
        " JOIN {user_group} ug ON ug.{ug_group} = gp.{gp_group}"
        " WHERE ug.{ug_user} = %s)"
    ).format(**_names())
