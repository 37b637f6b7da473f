"""One row by primary key, for the rows every request reads: the session, the signed-in
user and the clinic's settings.

The ORM's `get(pk=...)` spends longer building its statement than the database spends
answering it, on every request. `by_pk` runs a statement written once per model, through
`Manager.raw`, which still gives a model instance with every field converted as `get`
would.
"""

from functools import cache

from django.db import connection


def by_pk(model, pk):
    """The `model` row with this primary key, or None.

    For a model stored in one table (no multi-table inheritance). Unlike `get`, it does
    not go through the default manager's `get_queryset`, so a manager that hides rows
    does not hide them here: the three models it reads have plain managers.
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
