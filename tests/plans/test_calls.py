"""Reception's call list, the pure rules (`plans.calls`): which day a pause is called about,
what settles a reason for good, what keeps it on the list."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from plans import calls

PARIS = ZoneInfo("Europe/Paris")
SENTENCE = "Stop aspirin or clopidogrel from Friday 26 February (3 days before your session)"


def appointment(pk=1, patient_id=10, starts=datetime(2027, 3, 1, 10, tzinfo=PARIS), **fields):
    fields.setdefault("clinician", "Dr Claire Martin")
    return calls.Appointment(pk, patient_id, starts, **fields)


def pause_on(day: date, starts: date = date(2027, 2, 26)):
    return calls.pause(appointment(), "stop-aspirin", starts, SENTENCE, day)


def person(patient_id=10, name="BERNARD Sophie"):
    return calls.Person(patient_id, name, "+33 6 12 34 56 78")


def tick(key, outcome, day, hour=10, by="Rita Desk"):
    return calls.Tick(key, outcome, day, datetime.combine(day, time(hour), tzinfo=PARIS), by)


def test_a_pause_is_called_about_the_day_before_and_the_day_it_starts_only():
    before = pause_on(date(2027, 2, 25))
    on_the_day = pause_on(date(2027, 2, 26))

    assert before.sentence == (
        "From tomorrow: stop aspirin or clopidogrel from Friday 26 February "
        "(3 days before your session)."
    )
    assert on_the_day.sentence.startswith("From today: stop aspirin")
    assert before.key == on_the_day.key  # one reason, told on either day
    assert pause_on(date(2027, 2, 24)) is None  # two days before: not yet
    assert pause_on(date(2027, 2, 27)) is None  # the pause has begun: nothing to say


def test_the_day_before_a_pause_crosses_month_ends_and_leap_days():
    assert pause_on(date(2027, 2, 28), starts=date(2027, 3, 1)).sentence.startswith("From tomorrow")
    assert pause_on(date(2028, 2, 28), starts=date(2028, 3, 1)) is None  # 29 February between
    assert pause_on(date(2028, 2, 28), starts=date(2028, 2, 29)).sentence.startswith(
        "From tomorrow"
    )
    assert pause_on(date(2026, 12, 31), starts=date(2027, 1, 1)).sentence.startswith(
        "From tomorrow"
    )


def test_confirming_tells_the_time_the_clinician_and_the_arrival_on_the_clinic_clock():
    starts = datetime(2027, 3, 28, 10, tzinfo=PARIS)  # the day the clocks go forward
    reason = calls.confirm(
        appointment(starts=starts, arrive=datetime(2027, 3, 28, 9, 30, tzinfo=PARIS)), PARIS
    )
    assert reason.sentence == (
        "Confirm tomorrow's appointment, Sunday 28 March at 10:00 with Dr Claire Martin, "
        "to arrive at 09:30."
    )
    without_cream = calls.confirm(appointment(starts=starts), PARIS)
    assert "arrive" not in without_cream.sentence


def test_a_moved_appointment_is_a_new_reason_to_call():
    before = calls.confirm(appointment(), PARIS)
    moved = calls.confirm(appointment(starts=datetime(2027, 3, 1, 15, tzinfo=PARIS)), PARIS)
    day = date(2027, 2, 28)
    settled = [tick(before.key, calls.Outcome.REACHED, date(2027, 2, 27))]

    assert calls.lines({10: person()}, [before], settled, day) == []
    [line] = calls.lines({10: person()}, [moved], settled, day)
    assert "15:00" in line.reasons[0].sentence and not line.done


def test_a_consent_asked_for_and_reached_is_not_asked_again_the_next_days():
    due = "Consent for electrodermoporation, version 3, to be signed."
    reason = calls.consent(appointment(), due, PARIS)
    assert reason.sentence.startswith(
        "Consent for electrodermoporation, version 3, to be signed before the appointment "
        "on Monday 1 March at 10:00"
    )
    reached = [tick(reason.key, calls.Outcome.REACHED, date(2027, 2, 24))]

    [line] = calls.lines({10: person()}, [reason], reached, date(2027, 2, 24))
    assert line.done and line.ticks[0].label == "Reached"  # shown as done on its day
    assert calls.lines({10: person()}, [reason], reached, date(2027, 2, 25)) == []


def test_no_answer_keeps_the_line_to_try_again_with_the_tries_told():
    reason = calls.confirm(appointment(), PARIS)
    day = date(2027, 2, 28)
    tries = [
        tick(reason.key, calls.Outcome.NO_ANSWER, day, hour=9),
        tick(reason.key, calls.Outcome.NO_ANSWER, day, hour=11, by="Dr Claire Martin"),
    ]
    [line] = calls.lines({10: person()}, [reason], tries, day)
    assert not line.done
    assert [(t.label, t.at.hour, t.by) for t in line.ticks] == [
        ("No answer", 11, "Dr Claire Martin"),
        ("No answer", 9, "Rita Desk"),
    ]
    # A tick of a later day is not on an earlier day's list.
    later = [tick(reason.key, calls.Outcome.REACHED, date(2027, 3, 1))]
    [line] = calls.lines({10: person()}, [reason], later, day)
    assert not line.done and line.ticks == ()


def test_one_line_per_patient_reasons_in_order_open_lines_first():
    first, second = person(10, "BERNARD Sophie"), person(11, "ALLARD Anne")
    confirm = calls.confirm(appointment(), PARIS)
    pause = pause_on(date(2027, 2, 25))
    other = calls.confirm(appointment(pk=2, patient_id=11), PARIS)
    day = date(2027, 2, 25)
    done = [tick(other.key, calls.Outcome.MESSAGE_LEFT, day)]

    found = calls.lines({10: first, 11: second}, [confirm, None, pause, other], done, day)

    assert [line.person.name for line in found] == ["BERNARD Sophie", "ALLARD Anne"]
    assert [reason.kind for reason in found[0].reasons] == ["pause", "confirm"]
    assert found[1].done and not found[0].done
