"""Migration plans 0006: a phase's tolerance may be left to the clinic's default.

Before it "±0 days" could not be written (the renderer dropped it), so a protocol's 0 on a
fixed interval meant "none written": it becomes None, and gets the clinic's default. A
range's 0 and every plan's phases are kept, so no plan's windows change.
"""

from datetime import date

import pytest

from tests.migrations import migrate, migrate_to_the_latest

BEFORE = [("plans", "0005_session_status_starts_index")]
AFTER = [("plans", "0006_tolerance_may_be_unset")]


@pytest.fixture
def at_0005():
    try:
        yield migrate(BEFORE)
    finally:
        migrate_to_the_latest()  # the tests after this one need today's schema


PHASES = {
    # position: (interval_min, interval_max, interval_unit, tolerance_days, span)
    1: (2, 2, "week", 0, {"span_kind": "count", "span_min": 6, "span_max": 6}),
    2: (1, 1, "month", 3, {"span_kind": "count", "span_min": 2, "span_max": 2}),
    3: (3, 6, "month", 0, {}),
}


def make_protocol_and_plan(apps):
    method = apps.get_model("clinic", "Method").objects.create(name="Needle injection")
    user = apps.get_model("auth", "User").objects.create(username="claire.martin")
    clinician = apps.get_model("clinic", "Clinician").objects.create(user=user)
    patient = apps.get_model("patients", "Patient").objects.create(
        first_name="Sophie",
        last_name="Bernard",
        date_of_birth=date(1980, 5, 17),
        sex="F",
        phone="+33 6 12 34 56 78",
    )
    protocol = apps.get_model("plans", "Protocol").objects.create(
        name="Skin rejuvenation", indication="rejuvenation", method=method
    )
    plan = apps.get_model("plans", "TreatmentPlan").objects.create(
        patient=patient, clinician=clinician, protocol=protocol, start_date=date(2026, 1, 5)
    )
    for position, (low, high, unit, tolerance, span) in PHASES.items():
        fields = {
            "position": position,
            "interval_min": low,
            "interval_max": high,
            "interval_unit": unit,
            "tolerance_days": tolerance,
            **span,
        }
        apps.get_model("plans", "ProtocolPhase").objects.create(protocol=protocol, **fields)
        apps.get_model("plans", "PlanPhase").objects.create(plan=plan, **fields)


def tolerances(apps, model):
    rows = apps.get_model("plans", model).objects.order_by("position")
    return list(rows.values_list("tolerance_days", flat=True))


@pytest.mark.django_db(transaction=True)
def test_a_protocol_zero_on_a_fixed_interval_becomes_unset_and_plans_keep_theirs(at_0005):
    make_protocol_and_plan(at_0005)

    after = migrate(AFTER)

    # the fixed interval's 0 was "none written"; a written ±3 and a range's 0 stay
    assert tolerances(after, "ProtocolPhase") == [None, 3, 0]
    # a plan keeps the windows it was made with
    assert tolerances(after, "PlanPhase") == [0, 3, 0]


@pytest.mark.django_db(transaction=True)
def test_going_back_gives_every_unset_tolerance_0(at_0005):
    make_protocol_and_plan(at_0005)
    after = migrate(AFTER)
    after.get_model("plans", "PlanPhase").objects.filter(position=2).update(tolerance_days=None)

    before = migrate(BEFORE)

    assert tolerances(before, "ProtocolPhase") == [0, 3, 0]
    assert tolerances(before, "PlanPhase") == [0, 0, 0]
