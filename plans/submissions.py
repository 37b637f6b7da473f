"""A booking form submitted twice books once, and the second time is told what the first did.

Each booking page gives its forms a new key when it is rendered (`new_key`, posted back in
the hidden field `FIELD`). `once` writes the key, in the same transaction as the booking,
with the message the booking was answered by; the key is unique in the database. So a
form submitted again, after a double click or a retry when a worker died before it
answered, finds the key, books nothing and is answered `AlreadyDone`, even when both
arrive at the same moment (the second insert waits for the first to commit). A refused
booking writes no key, so the same form can be submitted again. A key sent with another
plan, user or kind of booking is refused.

A post without a key (a client that is not one of the pages) is booked as before,
without this protection.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic import clock
from plans.models import BookingSubmission, TreatmentPlan

FIELD = "submission"
ALREADY_MADE = "This {what} was already made at {at:%H:%M} on {at:%a %d %b}: {outcome}"
KEY_REUSED = "This form was already used for another booking: please open the page again."
KEY_UNREADABLE = "This form could not be read: please open the page again."

Action = BookingSubmission.Action


class AlreadyDone(Exception):
    """The form was submitted before and booked; `message` says what was booked then."""

    def __init__(self, first: BookingSubmission):
        self.first = first
        moved = first.action in (Action.MOVE, Action.MOVE_LATER)
        self.message = ALREADY_MADE.format(
            what="move" if moved else "booking",
            at=timezone.localtime(first.made_at),
            outcome=first.outcome,
        )
        super().__init__(self.message)


def new_key() -> uuid.UUID:
    return uuid.uuid4()


def key_of(data) -> uuid.UUID | None:
    """The key a form posted back in `data` (a QueryDict), or None when it sent none."""
    value = data.get(FIELD)
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationError(KEY_UNREADABLE) from None


@contextmanager
def once(
    *, key: uuid.UUID | None, user, plan: TreatmentPlan, action: str
) -> Iterator[BookingSubmission]:
    """Run the booking in the block once for this key, in one transaction with the key.

    The block sets `outcome` on the submission it is given: the message its booking was
    answered by, kept to answer the same form again. Raises `AlreadyDone` (before the
    block runs) when the key has booked already, `ValidationError` when it was used for
    something else.
    """
    submission = BookingSubmission(key=key, user=user, plan=plan, action=action)
    with transaction.atomic():
        if key is not None:
            submission.made_at = clock.now()
            try:
                with transaction.atomic():
                    submission.save(force_insert=True)
            except IntegrityError:
                first = BookingSubmission.objects.get(key=key)
                if (first.user_id, first.plan_id, first.action) != (user.pk, plan.pk, action):
                    raise ValidationError(KEY_REUSED) from None
                raise AlreadyDone(first) from None
        yield submission
        if key is not None:
            submission.save(update_fields=["outcome"])
