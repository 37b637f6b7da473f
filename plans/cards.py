"""The schedule's markup, built in Python: cards, columns, headings, hour marks, and the
rows of the recall board.

A busy day prints 160 cards; Django's template engine costs about as much per printed
variable as a card costs whole this way, so the schedule's markup is joined here, and
only here. Every value that comes from the database goes through `esc` (escaped, and
memoised: a day repeats its protocols, areas, rooms and statuses card after card), and
`markup` is the one place a `SafeString` is made. `tests/plans/test_cards.py` puts
`<script>` in every name a card prints.

The grid: a day is cut into rows of `ROW_MINUTES`; a card's CSS classes `r-N` and `s-N`
place it at row N and make it span N rows (the CSP forbids inline styles, so the
positions are classes defined in `static/clinic/grid.css`).
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from html import escape
from typing import TYPE_CHECKING

from django.utils.safestring import SafeString

from plans import instructions, safety

if TYPE_CHECKING:
    from plans.selectors import CardRow, Column, Hour, Recall

ROW_MINUTES = 5
MAX_ROWS = 24 * 60 // ROW_MINUTES
MAX_SPAN = 8 * 60 // ROW_MINUTES
LIVE = frozenset(("booked", "arrived"))
NO_SHOW = "no_show"

esc = lru_cache(maxsize=4096)(escape)


def markup(parts: Iterable[str]) -> SafeString:
    """Join markup whose every value went through `esc`: the one SafeString made here."""
    return SafeString("".join(parts))


@dataclass(slots=True)
class Card:
    """One appointment as a schedule shows it: where it sits on the grid, and its markup."""

    row: int  # the grid row it starts on and the rows it spans
    span: int
    html: SafeString  # the card without its grid cell
    # A booked appointment may be dragged to another time: its pk, clinician and room.
    drag: tuple[int, int | None, int | None] | None = None
    # Its lane among the cards it overlaps, and how many lanes they take (`lay_out`).
    lane: int = 0
    lanes: int = 1


# Every "HH:MM" of a day, by minute: looking one up costs a fraction of formatting it,
# done some 400 times a page.
_HH_MM = tuple(f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in range(60))


def hh_mm(moment: datetime) -> str:
    # What f"{moment:%H:%M}" prints.
    return _HH_MM[moment.hour * 60 + moment.minute]


def patient_name(row: "CardRow") -> str:
    # As Patient.__str__ prints it, without building 160 patients (the tests compare).
    return f"{row.patient_last_name.upper()} {row.patient_first_name}"


def to_card(
    row: "CardRow",
    *,
    first_hour: int | None,
    cream_minutes: int,
    url_pattern: str,
    actions_prefix: str,
    areas: str,
    place: str,
    status_label: str,
    error: str = "",
    consent: str = "",
    today: date | None = None,
) -> Card:
    """The card of one appointment row; every string from the database is escaped.

    `url_pattern` is the session page's address for pk 0 and `actions_prefix` the action
    menu's address without the appointment's pk: no `reverse` per card. `place` is the
    room on the clinicians' view, the clinician on the rooms' view; `error` what a
    service refused, shown on the card answered to htmx; `consent` what the patient
    must sign before the session (`safety.consents_due`).

    The actions are not printed: `actions_prefix` + pk answers them when the menu opens
    (one form and CSRF token on the page instead of 160); without JavaScript the
    session's own page offers the same actions. A no-show of `today` keeps its menu, to
    be undone.
    """
    pk, status, starts, ends = row.pk, row.status, row.starts, row.ends
    live = status in LIVE
    undoable = status == NO_SHOW and today is not None and starts.date() == today
    row_number = span = 1
    if first_hour is not None:
        # Placed by the clock, as the hour marks are: on the day the clocks change, an
        # appointment at 04:00 sits by the 04:00 mark. Its length is its real one, so one
        # across the change itself (at night, when the clinic is shut) is drawn an hour
        # shorter or longer than its printed times.
        offset = (starts.hour - first_hour) * 60 + starts.minute
        row_number = min(max(offset // ROW_MINUTES + 1, 1), MAX_ROWS)
        length = (row.ends_at - row.starts_at).total_seconds() // 60
        span = min(max(int(length // ROW_MINUTES), 1), MAX_SPAN)
    url = esc(url_pattern).replace("/0/", f"/{row.session_id}/", 1)
    meta = f"{esc(f'session {row.number} of {row.of}')} · {esc(row.protocol)}"
    if row.wants_cream and live:
        # The one arrival time: the patient's cream instruction says the same.
        arrive = hh_mm(instructions.arrival(starts, cream_minutes))
        meta = f'<span class="booking-arrival">Arrive {arrive}</span> · {meta}'
    elif live:
        # On paper every line says when to expect the patient (on screen, the time does).
        meta = f'<span class="booking-arrive-at">Arrive {hh_mm(starts)} · </span>{meta}'
    parts = [
        f'<div class="booking-body status-{esc(status)}'
        f'{" needs-rebooking" if row.needs_rebooking else ""}" id="booking-{pk}">'
        f'<div class="booking-line"><span class="booking-time">'
        f"{hh_mm(starts)}–{hh_mm(ends)}</span>"
    ]
    if live or undoable:
        parts.append(
            f'<details class="booking-actions" hx-get="{esc(actions_prefix)}{pk}"'
            ' hx-trigger="toggle once" hx-target="find .booking-menu">'
            f'<summary>Actions</summary><div class="booking-menu"><a href="{url}">'
            "Session page</a></div></details>"
        )
    parts.append(
        f'</div><a class="booking-patient" href="{url}">{escape(patient_name(row))}</a>'
        f'<div class="booking-phone">Tel. {esc(row.phone)}</div>'
        f'<div class="booking-meta">{meta}</div>'
        f'<div class="booking-line"><span class="booking-meta">'
        f"{esc(' · '.join(filter(None, (areas, place))))}</span>"
        f'<span class="badge text-bg-light border">{esc(status_label)}</span></div>'
    )
    if row.needs_rebooking and live:
        parts.append('<div class="text-warning-emphasis">Needs rebooking</div>')
    if consent and live:
        parts.append(
            f'<div class="booking-consent text-danger-emphasis" title="{esc(consent)}">'
            "Consent to sign</div>"
        )
    if error:
        parts.append(f'<div class="text-danger" role="alert">{escape(error)}</div>')
    parts.append("</div>")
    drag = (pk, row.clinician_id, row.room_id) if status == "booked" else None
    return Card(row_number, span, markup(parts), drag)


NO_BOOKINGS = '<p class="text-secondary small p-2 mb-0 r-1 s-6">No appointments.</p>'


OFF_BADGE = SafeString(' <span class="badge text-bg-secondary off-badge">Off</span>')


MAX_LANES = 4  # overlapping cards side by side; a fifth shares the last lane


def lay_out(column_cards: "list[Card]") -> "list[Card]":
    """Cards that overlap (a cancelled appointment and the one given its time, say) side
    by side in lanes, each as wide as the others; a card that overlaps none keeps the
    column's whole width. Cards in grid order (by start row)."""
    laid: list[Card] = []
    cluster: list[Card] = []
    ends: list[int] = []  # each lane's last row taken, in the current cluster
    cluster_end = 0

    def close() -> None:
        lanes = min(len(ends), MAX_LANES)
        laid.extend(replace(card, lanes=lanes) for card in cluster)

    for card in sorted(column_cards, key=lambda c: (c.row, -c.span)):
        if cluster and card.row >= cluster_end:
            close()
            cluster, ends = [], []
        free = next((i for i, end in enumerate(ends) if end <= card.row), None)
        if free is None:
            ends.append(card.row + card.span)
            free = len(ends) - 1
        else:
            ends[free] = card.row + card.span
        cluster.append(replace(card, lane=min(free, MAX_LANES - 1)))
        cluster_end = max(cluster_end, card.row + card.span)
    if cluster:
        close()
    return laid


def off_rows(
    working: "Iterable[tuple[datetime, datetime]]", *, first_hour: int, rows: int
) -> list[tuple[int, int]]:
    """The grid rows a column's clinician does not work (outside their hours, breaks,
    time off), as (first row, rows) in pieces the grid's classes can place. `working` is
    their time at work that day on the clinic's clock, placed by the clock as the cards
    are."""
    at_work = []
    for starts, ends in working:
        low = ((starts.hour - first_hour) * 60 + starts.minute) // ROW_MINUTES
        high = -(-((ends.hour - first_hour) * 60 + ends.minute) // ROW_MINUTES)
        if ends.date() > starts.date():
            high = rows
        at_work.append((max(low, 0), min(high, rows)))
    pieces, row = [], 0
    for low, high in [*sorted(at_work), (rows, rows)]:
        while row < low:
            span = min(low - row, MAX_SPAN)
            pieces.append((row + 1, span))
            row += span
        row = max(row, high)
    return pieces


def _draggable(card: Card) -> str:
    if card.drag is None:
        return ""
    pk, clinician, room = card.drag
    return (
        f' draggable="true" data-appointment="{pk}"'
        f' data-clinician="{clinician or ""}" data-room="{room or ""}"'
    )


def _drop(column: "Column") -> str:
    return "".join(f' data-drop-{name}="{esc(value)}"' for name, value in column.drop)


def columns_html(columns: "list[Column]", *, rows: int, anchor: str, empty: str) -> SafeString:
    """Every column in its section of the grid, each card in its cell, for the template to
    print at once: the engine took longer over ten columns' dozen tags than over their 160
    cards. `anchor` prefixes the heading ids, `empty` fills a column without cards. Behind
    the cards, out of the grid's flow, the time the column's clinician is not at work."""
    parts = []
    for column in columns:
        classes = "schedule-col"
        if not column.bookings:
            classes += " is-empty"
        if column.closed:
            classes += " closed-col"
        if column.is_off:
            classes += " off-col"
        parts.append(
            f'<section class="{classes}" aria-labelledby="{anchor}-{column.key}"{_drop(column)}>'
            f'<h2 class="col-head" id="{anchor}-{column.key}">{column.heading}</h2>'
            '<div class="slots">'
        )
        parts.extend(
            f'<div class="off r-{r} s-{n}" aria-hidden="true"></div>' for r, n in column.off
        )
        parts.extend(
            f'<article class="booking r-{card.row} s-{card.span} l{card.lane}n{card.lanes}"'
            f"{_draggable(card)}>"
            f"{card.html}</article>"
            for card in lay_out(column.bookings)
        )
        if not column.bookings:
            parts.append(empty)
        parts.append(f'<div class="filler r-{rows}"></div></div></section>')
    return markup(parts)


def column_heading(name: str, detail: str = "") -> SafeString:
    """A clinician's or room's column heading: the name, and the specialty under it."""
    if detail:
        return markup([esc(name), "<small>", esc(detail), "</small>"])
    return markup([esc(name)])


def day_heading(day: date, url: str, closures: Iterable[str], *, today: bool) -> SafeString:
    """A day's column heading on the week: the day, linked, its closures, "Today"."""
    parts = [f'<a href="{esc(url)}">{day:%a %d %b}</a>']
    parts.extend(f"<small>Closed: {esc(name)}</small>" for name in closures)
    if today:
        parts.append("<small>Today</small>")
    return markup(parts)


def with_off_badge(heading: SafeString) -> SafeString:
    """A heading marked "Off", on its first line: the heading's height is the grid's."""
    first, small, rest = str(heading).partition("<small>")
    return SafeString(f"{first}{OFF_BADGE}{small}{rest}")


def hours_html(hours: "Iterable[Hour]") -> SafeString:
    return markup(f'<div class="hour r-{h.row} s-12">{esc(h.label)}</div>' for h in hours)


REVIEW_NEEDED = esc(safety.REVIEW_NEEDED)

RECALL_BADGES = {
    "overdue": "text-bg-danger",
    "closing": "text-bg-warning",
    "open": "text-bg-success",
    "opening": "text-bg-info",
}


def recall_rows(
    recalls: "Iterable[Recall]",
    *,
    patient_url: str,
    plan_url: str,
    book_url: str,
    back: str,
    sees_clinical: bool,
) -> SafeString:
    """The recall board's table rows. The `*_url` are the addresses for pk 0 (no `reverse`
    per row); `back` is the board's own address, for the booking page to return to. A
    plan that needs a clinician's review offers no booking: the clinician to ask instead,
    for those who may not see why."""
    patient_url, plan_url, book_url = esc(patient_url), esc(plan_url), esc(book_url)
    book_suffix = f"?next={esc(back)}"
    parts = []
    for recall in recalls:
        row = recall.row
        clinician = esc(row.clinician)
        phone = esc(row.phone)
        if recall.review_needed:
            action = f'<span class="badge text-bg-secondary">{REVIEW_NEEDED}</span>'
            if not sees_clinical:
                action += f'<div class="small text-secondary">ask {clinician}</div>'
        elif recall.consent:
            action = (
                '<span class="badge text-bg-warning">consent to sign</span>'
                f'<div class="small text-secondary">{esc(recall.consent)}</div>'
            )
            if sees_clinical:
                url = patient_url.replace("/0/", f"/{row.patient_id}/", 1)
                action += f'<a class="small" href="{url}#consents">Take consent…</a>'
        else:
            url = book_url.replace("/0/", f"/{row.session_id}/", 1)
            action = f'<a class="btn btn-sm btn-primary" href="{url}{book_suffix}">Book…</a>'
        parts.append(
            "<tr>"
            f'<td><a href="{patient_url.replace("/0/", f"/{row.patient_id}/", 1)}">'
            f"{esc(row.patient)}</a></td>"
            f'<td><a href="tel:{phone}">{phone}</a></td>'
            f'<td><a href="{plan_url.replace("/0/", f"/{row.plan_id}/", 1)}">'
            f"{esc(row.protocol)}</a>"
            f'<div class="small text-secondary">{clinician}</div></td>'
            f"<td>{row.number}</td>"
            f'<td><span class="badge {RECALL_BADGES[recall.state]}">{esc(recall.state)}</span> '
            f"{esc(recall.label)}</td>"
            f"<td>{action}</td>"
            "</tr>"
        )
    return markup(parts)
