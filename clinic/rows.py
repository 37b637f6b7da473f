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
    """The `model` row with this primary key, or None."""
    for row in model._default_manager.raw(_select_by_pk(model), [pk]):
        return row
    return None


@cache
def _select_by_pk(model) -> str:
    q, meta = connection.ops.quote_name, model._meta
    columns = ", ".join(q(field.column) for field in meta.concrete_fields)
    return f"SELECT {columns} FROM {q(meta.db_table)} WHERE {q(meta.pk.column)} = %s"
