"""One row by primary key, for the one row every request reads: the clinic's settings
(`ClinicSettings.load`), read for the time zone, the grid and the calendar's token.

The ORM spends longer building its statement than the database spends answering it, and
this row is read by the middleware on every request and again by every slot search and
every booking. `by_pk` runs a statement written once per model, through `Manager.raw`,
which still gives a model instance with every field converted as `get` would.

Why it still pays, measured on 2026-12-03 (SQLite, a 2-core machine, best of 5 x 5,000
reads): `ClinicSettings.load()` through `by_pk` takes 57 µs,
`ClinicSettings.objects.filter(pk=1).first()` 194 µs and `get(pk=1)` 149 µs: the ORM
costs 2.6 to 3.4 times as much, on a read made at least once a request, and `by_pk`
needs only public API (`Manager.raw`). The session and the signed-in user are read by
Django's own code: there the gain was about 0.1 ms and took an override of Django's
private methods.
"""

from functools import cache

from django.db import connection


def by_pk(model, pk):
    """The `model` row with this primary key, or None.

    For a model stored in one table (no multi-table inheritance). Unlike `get`, it does
    not go through the default manager's `get_queryset`, so a manager that hides rows
    does not hide them here: `ClinicSettings` has a plain manager.
    """
    value = model._meta.pk.get_db_prep_value(pk, connection)
    for row in model._default_manager.raw(_select_by_pk(model), [value]):
        return row
    return None


@cache
def _select_by_pk(model) -> str:
    q, meta = connection.ops.quote_name, model._meta
    if meta.parents:
        raise TypeError(f"{model.__name__} spans several tables: use the ORM.")
    columns = ", ".join(q(field.column) for field in meta.concrete_fields)
    return f"SELECT {columns} FROM {q(meta.db_table)} WHERE {q(meta.pk.column)} = %s"
