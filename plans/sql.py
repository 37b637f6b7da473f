"""The project's hand-written SQL, in one place: what the calendar and the schedule read
on every search, booking and opening of the day.

Each statement is written out because, on the clinic's hottest paths (every opening of
the day, every slot search and booking), the ORM took as long to build it as the
database takes to run it; `bench/schedule.py` and `bench/booking.py` give today's
figures. Table and column names come from the models' meta, never typed in;
`tests/plans/test_sql.py` checks each statement against the ORM's answer.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from django.db import connection

from clinic.models import TreatmentArea
from patients.models import Patient, Screening
from plans.models import Appointment, Protocol, Session, TreatmentPlan


def _placeholders(values: Sequence) -> str:
    return ", ".join(["%s"] * len(values))


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _table(model) -> str:
    return _q(model._meta.db_table)


def _column(model, field: str) -> str:
    return _q(model._meta.get_field(field).column)


def aware(value: datetime) -> datetime:
    # SQLite hands back naive UTC datetimes; PostgreSQL aware ones.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --- what holds a clinician, a room or the patient ----------------------------------------


@dataclass(frozen=True)
class Holds:
    """Appointments holding some time in [start, end) for one of these clinicians or
    rooms, or the patient."""

    start: datetime
    end: datetime
    clinician_ids: Sequence[int]
    room_ids: Sequence[int]
    patient_id: int


def holding(
    parts: Sequence[Holds], *, columns: Sequence[str], exclude: Sequence[int]
) -> tuple[str, list]:
    """The SQL and parameters selecting `columns` of the appointments occupying a time
    that each part names, but those in `exclude` (appointment ids).

    One bounded select per part, joined by UNION ALL: each uses the (status, starts_at)
    index, where one select with OR-ed ranges scans the table.
    """
    col = {name: _column(Appointment, name) for name in _HOLDING_COLUMNS}
    table = _table(Appointment)
    occupying = [status.value for status in Appointment.OCCUPYING]
    adapt = connection.ops.adapt_datetimefield_value
    selected = ", ".join(col[name] for name in columns)
    excluded = f" AND {col['id']} NOT IN ({_placeholders(exclude)})" if exclude else ""
    selects, params = [], []
    for part in parts:
        holders = [
            (col[name], ids)
            for name, ids in (
                ("clinician", part.clinician_ids),
                ("room", part.room_ids),
                ("patient", [part.patient_id]),
            )
            if ids
        ]
        selects.append(
            f"SELECT {selected} FROM {table}"
            f" WHERE {col['status']} IN ({_placeholders(occupying)}){excluded}"
            f" AND {col['starts_at']} >= %s AND {col['starts_at']} < %s"
            f" AND {col['blocks_until']} > %s"
            f" AND ({' OR '.join(f'{name} IN ({_placeholders(ids)})' for name, ids in holders)})"
        )
        # No appointment lasts a day: the lower bound on starts_at lets the index work.
        params += [*occupying, *exclude]
        params += [adapt(part.start - timedelta(days=1)), adapt(part.end), adapt(part.start)]
        params += [pk for _, ids in holders for pk in ids]
    return " UNION ALL ".join(selects), params


_HOLDING_COLUMNS = (
    "id",
    "status",
    "starts_at",
    "ends_at",
    "blocks_until",
    "clinician",
    "room",
    "patient",
)


def busy(parts: Sequence[Holds], *, exclude: Sequence[int]) -> list[tuple]:
    """(clinician_id, room_id, patient_id, starts_at, ends_at) of what each part names,
    by start."""
    columns = ("clinician", "room", "patient", "starts_at", "ends_at")
    sql, params = holding(parts, columns=columns, exclude=exclude)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [
            (clinician_id, room_id, patient_id, aware(starts_at), aware(ends_at))
            for clinician_id, room_id, patient_id, starts_at, ends_at in cursor.fetchall()
        ]
    rows.sort(key=lambda row: row[3])
    return rows


def any_clash(parts: Sequence[Holds], *, exclude: Sequence[int]) -> bool:
    """Whether any occupying appointment overlaps one of the parts. One query."""
    sql, params = holding(parts, columns=["id"], exclude=exclude)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM ({sql}) AS clashes LIMIT 1", params)
        return cursor.fetchone() is not None


# --- the schedule's cards ---------------------------------------------------------------

# - Names are read by primary key in scalar subqueries rather than joins: with joins,
#   PostgreSQL hashes every patient and every plan of the clinic to find the day's few.
# - `wants_cream` comes from the latest screening (one per patient and day, so the date
#   orders them) but only the arrival time it implies is ever shown, so reception sees
#   the logistics and never the screening itself.
# - `of` is read off the unique (plan, number) index.
# - The plan's areas come as one row per appointment and area, in the order the card
#   prints them: a second query by plan ids cost more than the appointments themselves.
# - The times come without their zone, as UTC on PostgreSQL: its zoned times go through a
#   loader written in Python, for each of the day's 320 times.
# - `{where}` is one of the constant conditions below, never text from a request.
_CARD_SQL = """
SELECT ap.{a_id}, ap.{a_status}, ap.{a_needs_rebooking}, {starts_at}, {ends_at},
       st.{s_number}, st.{s_plan}, ap.{a_clinician}, ap.{a_room},
       (SELECT p.{p_last_name} FROM {patient} p WHERE p.{p_id} = ap.{a_patient}),
       (SELECT p.{p_first_name} FROM {patient} p WHERE p.{p_id} = ap.{a_patient}),
       (SELECT pr.{pr_name} FROM {plan} t
          JOIN {protocol} pr ON pr.{pr_id} = t.{t_protocol}
         WHERE t.{t_id} = st.{s_plan}),
       (SELECT sc.{sc_cream} FROM {screening} sc
         WHERE sc.{sc_patient} = ap.{a_patient}
         ORDER BY sc.{sc_screened_on} DESC, sc.{sc_id} DESC LIMIT 1),
       (SELECT n.{s_number} FROM {session} n WHERE n.{s_plan} = st.{s_plan}
         ORDER BY n.{s_number} DESC LIMIT 1),
       ar.{ar_name}, st.{s_id},
       (SELECT p.{p_phone} FROM {patient} p WHERE p.{p_id} = ap.{a_patient})
  FROM {appointment} ap
  JOIN {session} st ON st.{s_id} = ap.{a_session}
  LEFT JOIN {plan_areas} pa ON pa.{pa_plan} = st.{s_plan}
  LEFT JOIN {area} ar ON ar.{ar_id} = pa.{pa_area}
 WHERE {where}
 ORDER BY ap.{a_starts_at}, ap.{a_id}, ar.{ar_name}, ar.{ar_id}
"""


@cache
def _card_names() -> dict[str, str]:
    areas = TreatmentPlan.areas.through._meta
    names = {
        "appointment": _table(Appointment),
        "session": _table(Session),
        "patient": _table(Patient),
        "plan": _table(TreatmentPlan),
        "protocol": _table(Protocol),
        "screening": _table(Screening),
        "area": _table(TreatmentArea),
        "plan_areas": _q(areas.db_table),
        "pa_plan": _q(areas.get_field("treatmentplan").column),
        "pa_area": _q(areas.get_field("treatmentarea").column),
        "p_id": _column(Patient, "id"),
        "p_last_name": _column(Patient, "last_name"),
        "p_first_name": _column(Patient, "first_name"),
        "p_phone": _column(Patient, "phone"),
        "t_id": _column(TreatmentPlan, "id"),
        "t_protocol": _column(TreatmentPlan, "protocol"),
        "pr_id": _column(Protocol, "id"),
        "pr_name": _column(Protocol, "name"),
        "sc_id": _column(Screening, "id"),
        "sc_patient": _column(Screening, "patient"),
        "sc_cream": _column(Screening, "wants_anaesthetic_cream"),
        "sc_screened_on": _column(Screening, "screened_on"),
        "ar_id": _column(TreatmentArea, "id"),
        "ar_name": _column(TreatmentArea, "name"),
    }
    for name in ("id", "number", "plan"):
        names[f"s_{name}"] = _column(Session, name)
    for name in (
        "id",
        "status",
        "needs_rebooking",
        "starts_at",
        "ends_at",
        "clinician",
        "room",
        "patient",
        "session",
    ):
        names[f"a_{name}"] = _column(Appointment, name)
    return names


# The schedule filters on `starts_at` only: the status is checked in Python, because on
# SQLite (no planner statistics) a `status IN (...)` filter makes the planner walk the
# status index through a year of history instead of the day's few rows of `starts_at`.
BETWEEN = "between"
ONE = "one"
CLINICIAN_BETWEEN = "clinician_between"


def _where(kind: str) -> str:
    n = _card_names()
    between = f"ap.{n['a_starts_at']} >= %s AND ap.{n['a_starts_at']} < %s"
    return {
        BETWEEN: between,
        ONE: f"ap.{n['a_id']} = %s",
        CLINICIAN_BETWEEN: f"ap.{n['a_clinician']} = %s AND {between}",
    }[kind]


@cache
def _card_sql(kind: str, vendor: str) -> str:
    n = _card_names()
    if vendor == "postgresql":
        times = (
            f"ap.{n['a_starts_at']} AT TIME ZONE 'UTC'",
            f"ap.{n['a_ends_at']} AT TIME ZONE 'UTC'",
        )
    else:
        times = (f"ap.{n['a_starts_at']}", f"ap.{n['a_ends_at']}")
    return _CARD_SQL.format(where=_where(kind), starts_at=times[0], ends_at=times[1], **n)


def card_values(kind: str, *params) -> tuple[list[tuple], object]:
    """The rows of the cards (`kind` one of BETWEEN, ONE, CLINICIAN_BETWEEN), in order,
    and the zone their naive times are in. One query."""
    ops = connection.ops
    params = [ops.adapt_datetimefield_value(p) if isinstance(p, datetime) else p for p in params]
    # SQLite keeps times without a zone, in the connection's; PostgreSQL's are read as UTC.
    zone = UTC if connection.vendor == "postgresql" else connection.timezone
    with connection.cursor() as cursor:
        cursor.execute(_card_sql(kind, connection.vendor), params)
        return cursor.fetchall(), zone
