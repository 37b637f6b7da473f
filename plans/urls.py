from datetime import date

from django.urls import path, register_converter

from clinic import inputs
from plans import call_views, report_views, takehome_views, views


class DayConverter:
    """A calendar day in the address, as 2026-03-14; outside the clinic's calendar
    (`clinic.inputs`) the address is not found."""

    regex = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

    def to_python(self, value: str) -> date:
        day = inputs.as_day(value)
        if day is None:
            raise ValueError(value)
        return day

    def to_url(self, value: date | str) -> str:
        # Templates may pass a day already formatted with |date:"Y-m-d".
        return value if isinstance(value, str) else value.isoformat()


register_converter(DayConverter, "day")

urlpatterns = [
    path("schedule/", views.schedule_today, name="schedule_today"),
    path("schedule/<day:day>/", views.schedule_day, name="schedule_day"),
    path("schedule/week/", views.schedule_week, name="schedule_week_mine"),
    path(
        "schedule/week/<int:clinician_id>/<day:day>/",
        views.schedule_week,
        name="schedule_week",
    ),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("sessions/<int:pk>/book/", views.session_book, name="session_book"),
    path("sessions/<int:pk>/done/", views.session_done, name="session_done"),
    path("appointments/<int:pk>/act/", views.appointment_act, name="appointment_act"),
    path("appointments/<int:pk>/arrived/", views.appointment_arrived, name="appointment_arrived"),
    path("appointments/<int:pk>/no-show/", views.appointment_no_show, name="appointment_no_show"),
    path("appointments/<int:pk>/drop/", views.appointment_drop, name="appointment_drop"),
    path(
        "appointments/<int:pk>/undo-arrival/",
        views.appointment_undo_arrival,
        name="appointment_undo_arrival",
    ),
    path(
        "appointments/<int:pk>/undo-no-show/",
        views.appointment_undo_no_show,
        name="appointment_undo_no_show",
    ),
    path("appointments/<int:pk>/cancel/", views.appointment_cancel, name="appointment_cancel"),
    path("appointments/<int:pk>/move/", views.appointment_move, name="appointment_move"),
    path("patients/<int:patient_id>/plans/new/", views.plan_new, name="plan_new"),
    path("plans/preview/", views.plan_preview, name="plan_preview"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/book-all/", views.plan_book_all, name="plan_book_all"),
    path("plans/<int:pk>/move-later/", views.plan_move_later, name="plan_move_later"),
    path("plans/<int:pk>/override/", views.plan_override, name="plan_override"),
    path("plans/<int:pk>/take-home/", takehome_views.plan_take_home, name="plan_take_home"),
    path(
        "plans/<int:pk>/take-home.pdf",
        takehome_views.plan_take_home_pdf,
        name="plan_take_home_pdf",
    ),
    path(
        "patients/<int:pk>/appointments.ics",
        takehome_views.patient_appointments_ics,
        name="patient_appointments_ics",
    ),
    path(
        "calendar/<int:clinician_id>/<slug:token>.ics",
        takehome_views.calendar_feed,
        name="calendar_feed",
    ),
    path("recall/", views.recall_board, name="recall_board"),
    path("rebooking/", views.rebooking_worklist, name="rebooking_worklist"),
    path("calls/", call_views.call_list, name="call_list"),
    path("calls/<day:day>/", call_views.call_list, name="call_list_day"),
    path("calls/<day:day>/tick/", call_views.call_tick, name="call_tick"),
    path("reports/lots/", report_views.lot_report, name="lot_report"),
    path("reports/lots/<int:pk>/", report_views.lot_report_batch, name="lot_report_batch"),
    path("reports/lots/<int:pk>/csv/", report_views.lot_report_csv, name="lot_report_csv"),
]
