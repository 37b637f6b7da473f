"""The audit trail: every write to the clinic's records keeps who, when, and the row as it
was before and after, in the same transaction as the write.

The trail is django-simple-history's: each audited model declares `trail = audit.trail()`,
which gives it a historical table holding a full copy of the row at each save or delete
(and of its many-to-many links, for the fields named), with the user of the request
(`HistoryRequestMiddleware`) or None for a write without one (a management command).

Saves, deletes (a queryset's too: Django sends each row's signal) and many-to-many
changes are recorded by signals. `bulk_create`, `bulk_update` and `QuerySet.update`
send none: on an audited model they go through `bulk_create`, `bulk_update` and
`update` below, which write the rows and their history together. A test
(`tests/clinic/test_audit_trail.py`) fails when a module calls the plain ones on an
audited model.
"""

from collections.abc import Iterable, Sequence

from django.db import models, transaction
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from clinic import clock


def trail(*, m2m_fields: Sequence[str] = (), excluded_fields: Sequence[str] = ()):
    """The history of an audited model (a class attribute named `history`)."""
    return HistoricalRecords(
        m2m_fields=list(m2m_fields),
        excluded_fields=list(excluded_fields),
        # The trail outlives what it describes: deleting a row keeps its history.
        cascade_delete_history=False,
    )


def is_audited(model) -> bool:
    return hasattr(model._meta, "simple_history_manager_attribute")


@receiver(pre_create_historical_record)
def _stamp_with_the_clock(*, history_instance, **_) -> None:
    # The library stamps with timezone.now(); the clinic's time is read in one place.
    history_instance.history_date = clock.now()


def bulk_create[M: models.Model](model: type[M], rows: Iterable[M]) -> list[M]:
    """`model.objects.bulk_create(rows)`, each new row recorded in the trail."""
    rows = list(rows)
    if not rows:
        return []
    with transaction.atomic():
        return bulk_create_with_history(rows, model, default_date=clock.now())


def bulk_update[M: models.Model](model: type[M], rows: Sequence[M], fields: Sequence[str]) -> int:
    """`model.objects.bulk_update(rows, fields)`, each row's new state recorded."""
    if not rows:
        return 0
    with transaction.atomic():
        bulk_update_with_history(rows, model, list(fields), default_date=clock.now())
    return len(rows)


def update(queryset: models.QuerySet, **values) -> int:
    """`queryset.update(**values)` (plain values, no expressions), each row recorded.

    The rows are read locked, then written by primary key with their history, so a row
    changed by another transaction meanwhile is written as it now is.
    """
    with transaction.atomic():
        rows = list(queryset.select_for_update(of=("self",)))
        for row in rows:
            for name, value in values.items():
                setattr(row, name, value)
        return bulk_update(queryset.model, rows, list(values))
