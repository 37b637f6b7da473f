"""The dated sentences of `plans.instructions`: pure, no database, the clinic's clock."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from plans.instructions import (
    DatedInstruction,
    OffsetUnit,
    PatientFacts,
    Rule,
    Trigger,
    Visit,
    When,
    arrival,
    dated_instructions,
    forbidden_after,
    minutes_from,
)

PARIS = ZoneInfo("Europe/Paris")
LASER = 9

ASPIRIN = Rule(
    key="stop-aspirin",
    trigger=Trigger.ASPIRIN_OR_CLOPIDOGREL,
    when=When.BEFORE,
    unit=OffsetUnit.DAY,
    offset_min=2,
    offset_max=3,
    text="Stop aspirin",
    translations={"fr": "Arrêtez l'aspirine", "de": "Aspirin absetzen"},
)
RETINOIDS = Rule(
    key="stop-retinoids",
    trigger=Trigger.RETINOID_CREAMS,
    when=When.BEFORE,
    unit=OffsetUnit.DAY,
    offset_min=3,
    offset_max=4,
    text="Stop retinoid creams",
)
SHAVING = Rule(
    key="no-shaving",
    trigger=Trigger.MALE,
    when=When.BEFORE,
    unit=OffsetUnit.DAY,
    offset_min=0,
    offset_max=0,
    text="Avoid shaving",
    translations={"fr": "Évitez de vous raser"},
)
CREAM = Rule(
    key="anaesthetic-cream",
    trigger=Trigger.ANAESTHETIC_CREAM,
    when=When.BEFORE,
    unit=OffsetUnit.ARRIVAL,
    text="Arrive for the anaesthetic cream",
)
ONE_DAY = Rule(
    key="one-day",
    trigger=Trigger.EVERY_SESSION,
    when=When.BEFORE,
    unit=OffsetUnit.DAY,
    offset_max=1,
    text="Drink plenty of water",
)
LASER_WEEK = Rule(
    key="no-laser",
    trigger=Trigger.EVERY_SESSION,
    when=When.AFTER,
    unit=OffsetUnit.DAY,
    offset_min=7,
    offset_max=7,
    text="No laser or electrolysis treatment",
    translations={"fr": "Pas de laser ni d'électrolyse"},
    forbids=frozenset({LASER}),
)
REDNESS = Rule(
    key="redness",
    trigger=Trigger.EVERY_SESSION,
    when=When.AFTER,
    unit=OffsetUnit.DAY,
    offset_min=1,
    offset_max=2,
    text="Redness and small swelling may last",
)
BURNING = Rule(
    key="burning",
    trigger=Trigger.EVERY_SESSION,
    when=When.AFTER,
    unit=OffsetUnit.MINUTE,
    offset_min=15,
    offset_max=20,
    text="A burning feeling may last",
)
BRUISES = Rule(
    key="bruises",
    trigger=Trigger.EVERY_SESSION,
    when=When.AFTER,
    text="Small bruises fade in 12 to 36 hours",
)
EVERYONE = PatientFacts(frozenset(), "en")
ON_ASPIRIN = PatientFacts(frozenset({Trigger.ASPIRIN_OR_CLOPIDOGREL}), "en")


def visit(*args, minutes=45) -> Visit:
    starts = datetime(*args, tzinfo=PARIS)
    return Visit(starts, starts + timedelta(minutes=minutes), PARIS)


def one(rule: Rule, at: Visit, facts=ON_ASPIRIN, cream_minutes=30) -> DatedInstruction:
    (instruction,) = dated_instructions(at, facts, [rule], cream_minutes=cream_minutes)
    return instruction


def test_the_pause_starts_the_larger_end_of_the_range_before():
    instruction = one(ASPIRIN, visit(2026, 3, 6, 10))
    assert instruction.sentence == "Stop aspirin from Tuesday 3 March (3 days before your session)"
    assert instruction.starts == date(2026, 3, 3)
    assert instruction.when == "before" and instruction.key == "stop-aspirin"
    assert instruction.is_medication_pause


@pytest.mark.parametrize(
    ("session", "starts", "words"),
    [
        # Across a month end, in a leap year and not, and across the year end.
        ((2027, 3, 2, 9), date(2027, 2, 27), "Saturday 27 February"),
        ((2028, 3, 3, 9), date(2028, 2, 29), "Tuesday 29 February"),
        ((2028, 3, 1, 9), date(2028, 2, 27), "Sunday 27 February"),
        ((2026, 5, 1, 9), date(2026, 4, 28), "Tuesday 28 April"),
        ((2027, 1, 1, 9), date(2026, 12, 29), "Tuesday 29 December 2026"),
        ((2027, 1, 3, 9), date(2026, 12, 31), "Thursday 31 December 2026"),
    ],
)
def test_pause_dates_across_month_and_year_ends(session, starts, words):
    instruction = one(ASPIRIN, visit(*session))
    assert instruction.starts == starts
    assert instruction.sentence == f"Stop aspirin from {words} (3 days before your session)"


def test_retinoid_creams_stop_four_days_before_across_a_leap_day():
    facts = PatientFacts(frozenset({Trigger.RETINOID_CREAMS}))
    instruction = one(RETINOIDS, visit(2028, 3, 2, 9), facts)
    assert instruction.starts == date(2028, 2, 27)
    assert instruction.sentence.endswith("(4 days before your session)")


def test_the_day_is_the_clinics_not_utcs():
    # 00:30 in Paris is still the evening before in UTC.
    instruction = one(ASPIRIN, visit(2026, 3, 6, 0, 30))
    assert instruction.starts == date(2026, 3, 3)
    utc_start = datetime(2026, 3, 6, 0, 30, tzinfo=PARIS).astimezone(ZoneInfo("UTC"))
    assert utc_start.date() == date(2026, 3, 5)


def test_the_day_before_and_the_day_of():
    before = one(ONE_DAY, visit(2026, 3, 6, 10), EVERYONE)
    assert before.sentence == (
        "Drink plenty of water from Thursday 5 March (the day before your session)"
    )
    men = PatientFacts(frozenset({Trigger.MALE}))
    day_of = one(SHAVING, visit(2026, 3, 6, 10), men)
    assert day_of.starts == date(2026, 3, 6)
    assert day_of.sentence == "Avoid shaving on Friday 6 March (the day of your session)"


def test_day_pauses_keep_their_dates_across_the_change_of_the_clocks():
    # Europe/Paris changes on Sunday 28 March 2027 (forward) and 31 October 2027 (back).
    assert one(ASPIRIN, visit(2027, 3, 30, 9)).starts == date(2027, 3, 27)
    assert one(ASPIRIN, visit(2027, 11, 2, 9)).starts == date(2027, 10, 30)


def test_arrival_for_the_cream_on_an_ordinary_day():
    instruction = one(CREAM, visit(2026, 3, 6, 10), _cream(), cream_minutes=30)
    assert instruction.sentence == (
        "Arrive for the anaesthetic cream at 09:30 (30 minutes before your session)"
    )
    assert instruction.starts == datetime(2026, 3, 6, 9, 30, tzinfo=PARIS)


def _cream():
    return PatientFacts(frozenset({Trigger.ANAESTHETIC_CREAM}))


def test_minutes_before_count_real_time_across_the_night_the_clocks_go_forward():
    # 03:10 CEST on 28 March 2027 is 01:10 UTC; 40 minutes earlier is 01:30 CET, not the
    # 02:30 that does not exist.
    at = visit(2027, 3, 28, 3, 10)
    instruction = one(CREAM, at, _cream(), cream_minutes=40)
    assert f"{instruction.starts:%H:%M}" == "01:30"
    assert at.starts - instruction.starts.astimezone(ZoneInfo("UTC")) == timedelta(minutes=40)
    assert instruction.sentence.endswith("at 01:30 (40 minutes before your session)")


def test_minutes_before_count_real_time_across_the_night_the_clocks_go_back():
    # 03:10 CET on 31 October 2027, 40 minutes earlier: 02:30 of the second pass (CET).
    at = visit(2027, 10, 31, 3, 10)
    moment = arrival(at.starts, 40)
    assert (at.starts - moment).total_seconds() == 40 * 60
    assert moment.utcoffset() == timedelta(hours=1)


def test_a_time_the_day_before_names_its_day():
    instruction = one(CREAM, visit(2026, 3, 6, 0, 20), _cream(), cream_minutes=30)
    assert instruction.sentence == (
        "Arrive for the anaesthetic cream at 23:50 on Thursday 5 March "
        "(30 minutes before your session)"
    )


def test_after_rules_run_until_their_last_day():
    laser = one(LASER_WEEK, visit(2026, 3, 6, 10), EVERYONE)
    assert laser.sentence == (
        "No laser or electrolysis treatment until Friday 13 March (7 days after your session)"
    )
    assert (laser.starts, laser.ends) == (date(2026, 3, 6), date(2026, 3, 13))
    redness = one(REDNESS, visit(2026, 12, 30, 10), EVERYONE)
    assert redness.ends == date(2027, 1, 1)
    assert redness.sentence == (
        "Redness and small swelling may last until Friday 1 January 2027 "
        "(2 days after your session)"
    )


def test_minutes_after_count_from_the_end_of_the_session():
    burning = one(BURNING, visit(2026, 3, 6, 10, minutes=45), EVERYONE)
    assert (
        burning.sentence
        == "A burning feeling may last until about 11:05 (20 minutes after your session)"
    )
    assert burning.starts == datetime(2026, 3, 6, 10, 45, tzinfo=PARIS)


def test_a_rule_without_an_offset_is_its_text():
    bruises = one(BRUISES, visit(2026, 3, 6, 10), EVERYONE)
    assert bruises.sentence == "Small bruises fade in 12 to 36 hours"
    assert bruises.ends is None


def test_french_with_a_translation():
    french = PatientFacts(frozenset({Trigger.ASPIRIN_OR_CLOPIDOGREL, Trigger.MALE}), "fr")
    sentences = dated_instructions(
        visit(2026, 3, 4, 10), french, [ASPIRIN, SHAVING, LASER_WEEK], cream_minutes=30
    )
    assert [s.sentence for s in sentences] == [
        "Arrêtez l'aspirine à partir du dimanche 1er mars (3 jours avant votre séance)",
        "Évitez de vous raser le mercredi 4 mars (le jour de votre séance)",
        "Pas de laser ni d'électrolyse jusqu'au mercredi 11 mars inclus "
        "(7 jours après votre séance)",
    ]
    assert {s.language for s in sentences} == {"fr"}


def test_french_times():
    french = PatientFacts(frozenset({Trigger.ANAESTHETIC_CREAM}), "fr")
    cream = Rule(**{**_fields(CREAM), "translations": {"fr": "Venez pour la crème anesthésiante"}})
    instruction = one(cream, visit(2026, 3, 6, 10), french, cream_minutes=30)
    assert instruction.sentence == (
        "Venez pour la crème anesthésiante à 9 h 30 (30 minutes avant votre séance)"
    )


def _fields(rule: Rule) -> dict:
    return {name: getattr(rule, name) for name in Rule.__slots__}


def test_no_translation_or_no_date_words_gives_the_whole_sentence_in_english():
    german = PatientFacts(frozenset({Trigger.ASPIRIN_OR_CLOPIDOGREL}), "de")
    assert one(ASPIRIN, visit(2026, 3, 6, 10), german).sentence.startswith("Stop aspirin from")
    french = PatientFacts(frozenset({Trigger.RETINOID_CREAMS}), "fr")
    instruction = one(RETINOIDS, visit(2026, 3, 6, 10), french)
    assert instruction.language == "en"
    assert instruction.sentence.startswith("Stop retinoid creams from")


def test_only_the_rules_whose_trigger_holds():
    rules = [ASPIRIN, RETINOIDS, SHAVING, CREAM, LASER_WEEK, BRUISES]
    keys = [
        i.key for i in dated_instructions(visit(2026, 3, 6, 10), EVERYONE, rules, cream_minutes=30)
    ]
    assert keys == ["no-laser", "bruises"]
    keys = [
        i.key
        for i in dated_instructions(visit(2026, 3, 6, 10), ON_ASPIRIN, rules, cream_minutes=30)
    ]
    assert keys == ["stop-aspirin", "no-laser", "bruises"]


def test_a_moved_appointment_moves_its_sentences():
    first = one(ASPIRIN, visit(2026, 3, 6, 10))
    moved = one(ASPIRIN, visit(2026, 3, 13, 10))
    assert moved.starts - first.starts == timedelta(days=7)


def test_forbidden_after_holds_through_the_last_day():
    laser = [one(LASER_WEEK, visit(2026, 3, 6, 10), EVERYONE)]
    assert forbidden_after(laser, LASER, date(2026, 3, 6)) == laser[0]
    assert forbidden_after(laser, LASER, date(2026, 3, 13)) == laser[0]
    assert forbidden_after(laser, LASER, date(2026, 3, 14)) is None
    assert forbidden_after(laser, LASER, date(2026, 3, 5)) is None
    assert forbidden_after(laser, LASER + 1, date(2026, 3, 10)) is None


def test_minutes_from_reads_the_result_on_the_zone_asked():
    moment = datetime(2026, 3, 6, 10, tzinfo=PARIS)
    assert minutes_from(moment, 30, ZoneInfo("UTC")).hour == 9


def test_a_rule_for_some_methods_only_applies_to_their_sessions():
    needle_only = Rule(**{**_fields(BRUISES), "methods": frozenset({1})})
    at = visit(2026, 3, 6, 10)
    needle = Visit(at.starts, at.ends, PARIS, method_id=1)
    laser = Visit(at.starts, at.ends, PARIS, method_id=LASER)
    assert dated_instructions(needle, EVERYONE, [needle_only], cream_minutes=30)
    assert not dated_instructions(laser, EVERYONE, [needle_only], cream_minutes=30)
