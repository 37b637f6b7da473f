"""The recall board: who to call to book their next session, and whether they may be booked.

Dates are derived from the suite's fixed clock: plans of the seed protocol start so that
their session 1 is overdue, open, opening within the week, or far off.
"""

from datetime import timedelta
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinic import clock as clinic_clock
from clinic import roles
from clinic.models import ClinicSettings
from plans import safety, selectors, services
from plans.models import TreatmentPlan
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return ClinicSettings.load().today()


@pytest.fixture
def dr_martin():
    return factories.make_clinician()


def screened_plan(clinician, start, **patient):
    person = factories.make_patient(**patient)
    factories.make_screening(person, clinician, screened_on=start - timedelta(days=60))
    return factories.make_plan(patient=person, clinician=clinician, start_date=start)


def board(client, **query):
    response = client.get(reverse("recall_board"), query)
    assert response.status_code == 200
    return response


def test_lists_overdue_open_and_opening_steps_but_not_far_ones_or_ended_plans(
    client, receptionist, dr_martin, today
):
    overdue = screened_plan(dr_martin, today - timedelta(days=10), last_name="Overdue")
    opening = screened_plan(dr_martin, today + timedelta(days=5), last_name="Opening")
    far = screened_plan(dr_martin, today + timedelta(days=40), last_name="Faraway")
    stopped = screened_plan(dr_martin, today - timedelta(days=3), last_name="Stopped")
    stopped.status = TreatmentPlan.Status.STOPPED
    stopped.save()
    client.force_login(receptionist)

    html = board(client).content.decode()

    assert "OVERDUE" in html and "overdue by" in html
    assert "OPENING" in html and "window opens" in html
    assert "FARAWAY" not in html
    assert "STOPPED" not in html
    first = overdue.sessions.get(number=1)
    assert reverse("session_book", args=[first.pk]) in html
    assert reverse("session_book", args=[opening.sessions.get(number=1).pk]) in html
    assert str(far.patient) not in html


def test_a_plan_with_a_booking_still_shows_its_step_to_book(client, receptionist, dr_martin, today):
    plan = screened_plan(dr_martin, today - timedelta(days=20), last_name="Booked")
    # Session 2 was booked ahead; session 1, overdue, is still to book.
    room = factories.make_room()
    second = plan.sessions.get(number=2)
    factories.book(second, clinic_clock.now() + timedelta(days=30), dr_martin, room)
    client.force_login(receptionist)

    html = board(client).content.decode()

    assert reverse("session_book", args=[plan.sessions.get(number=1).pk]) in html
    assert reverse("session_book", args=[second.pk]) not in html


def test_filters_by_state_protocol_and_clinician(client, receptionist, dr_martin, today):
    dr_rossi = factories.make_clinician(
        user=factories.make_user(roles.CLINICIAN, first_name="Marco", last_name="Rossi")
    )
    screened_plan(dr_martin, today - timedelta(days=10), last_name="Late")
    screened_plan(dr_rossi, today + timedelta(days=5), last_name="Soon")
    other = factories.make_protocol("every 1 week for 3 weeks", name="Peel course")
    person = factories.make_patient(last_name="Peeled")
    factories.make_screening(person, dr_martin, screened_on=today - timedelta(days=60))
    factories.make_plan(
        patient=person, protocol=other, clinician=dr_martin, start_date=today - timedelta(days=9)
    )
    client.force_login(receptionist)

    overdue = board(client, state="overdue").content.decode()
    assert "LATE" in overdue and "SOON" not in overdue
    by_rossi = board(client, clinician=dr_rossi.pk).content.decode()
    assert "SOON" in by_rossi and "LATE" not in by_rossi and "PEELED" not in by_rossi
    peel = board(client, protocol=other.pk).content.decode()
    assert "PEELED" in peel and "LATE" not in peel


def test_pages_of_fifty(client, receptionist, dr_martin, today):
    protocol = factories.make_protocol()
    for index in range(selectors.RECALL_PAGE + 3):
        person = factories.make_patient(last_name=f"Patient{index:03d}")
        factories.make_screening(person, dr_martin, screened_on=today - timedelta(days=90))
        factories.make_plan(
            patient=person,
            protocol=protocol,
            clinician=dr_martin,
            start_date=today - timedelta(days=1 + index % 3),
        )
    client.force_login(receptionist)

    first = board(client)
    second = board(client, page=2)

    assert first.context["board"].total == selectors.RECALL_PAGE + 3
    assert first.content.decode().count("Book…") == selectors.RECALL_PAGE
    assert second.content.decode().count("Book…") == 3
    assert "page 2 of 2" in second.content.decode()
    shown = {r.row.session_id for r in first.context["board"].recalls}
    assert shown.isdisjoint(r.row.session_id for r in second.context["board"].recalls)


def test_a_plan_that_needs_a_review_offers_no_booking_and_names_whom_to_ask(
    client, receptionist, dr_martin, today
):
    person = factories.make_patient(last_name="Unscreened")
    plan = factories.make_plan(
        patient=person, clinician=dr_martin, start_date=today - timedelta(days=5)
    )
    step = plan.sessions.get(number=1)
    client.force_login(receptionist)

    html = board(client).content.decode()

    assert safety.REVIEW_NEEDED in unescape(html)
    assert "ask Dr Claire Martin" in html
    assert reverse("session_book", args=[step.pk]) not in html


def test_the_board_follows_each_change_to_a_plans_safety_at_once(
    client, clock, receptionist, dr_martin, today
):
    """Whether a plan needs a review is remembered between requests: every change that
    decides it must show on the next opening of the board."""
    person = factories.make_patient(last_name="Changing")
    plan = factories.make_plan(
        patient=person, clinician=dr_martin, start_date=today - timedelta(days=5)
    )
    book = reverse("session_book", args=[plan.sessions.get(number=1).pk])
    client.force_login(receptionist)

    def bookable() -> bool:
        clock.set(clock.now + timedelta(minutes=1))  # each change a minute after the last
        return book in board(client).content.decode()

    assert not bookable()  # no screening yet
    factories.make_screening(person, dr_martin, screened_on=today - timedelta(days=3))
    assert bookable()
    factories.make_screening(
        person, dr_martin, screened_on=today - timedelta(days=2), pregnant=True
    )
    assert not bookable()
    services.plan_record_override(plan=plan, clinician=dr_martin, reason="Discussed, accepted")
    assert bookable()
    screening = factories.make_screening(person, dr_martin, screened_on=today - timedelta(days=1))
    assert bookable()  # a new screening without findings
    product = factories.make_product()
    screening.allergic_to.add(product)
    assert bookable()  # allergic to a product the plan does not use
    plan.products.add(product)
    assert not bookable()


def test_the_remembered_reviews_match_the_bookings_own_check(dr_martin, today):
    plans = [
        screened_plan(dr_martin, today - timedelta(days=5)),
        factories.make_plan(clinician=dr_martin, start_date=today - timedelta(days=5)),
    ]
    pregnant = factories.make_patient()
    factories.make_screening(pregnant, dr_martin, screened_on=today, pregnant=True)
    plans.append(factories.make_plan(patient=pregnant, clinician=dr_martin, start_date=today))
    ids = [p.pk for p in plans]

    first = safety.review_needed(ids)
    again = safety.review_needed(ids)  # from memory

    assert first == again == {plans[1].pk, plans[2].pk}
    safety.check_safe(TreatmentPlan.objects.get(pk=plans[0].pk))
    for plan in plans[1:]:
        with pytest.raises(ValidationError):
            safety.check_safe(TreatmentPlan.objects.get(pk=plan.pk))
