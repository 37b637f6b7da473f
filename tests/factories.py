"""Test data with sensible defaults; every keyword can be overridden."""

import itertools
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from clinic import roles
from clinic.models import (
    Clinician,
    ClinicSettings,
    ConsentForm,
    ConsentFormVersion,
    Equipment,
    Method,
    Product,
    ProductBatch,
    Room,
    TreatmentArea,
    WorkingHours,
)
from patients.models import Patient, Screening, SignedConsent
from plans import engine, services
from plans.calendar import calendar_changed
from plans.models import Appointment, Protocol, Session, TreatmentPlan

PASSWORD = "correct-horse-battery-staple"
_seq = itertools.count(1)


def make_user(role: str | None = None, *, username: str | None = None, **fields):
    username = username or f"user{next(_seq)}"
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)
    if role:
        roles.sync_roles()
        user.groups.add(Group.objects.get(name=role))
    return user


def make_method(name: str = "Needle injection", *, equipment: list[str] = ()) -> Method:
    method, _ = Method.objects.get_or_create(name=name)
    for item in equipment:
        method.required_equipment.add(Equipment.objects.get_or_create(name=item)[0])
    return method


def make_room(name: str | None = None, *, equipment: list[str] = ()) -> Room:
    room = Room.objects.create(name=name or f"Room {next(_seq)}")
    for item in equipment:
        room.equipment.add(Equipment.objects.get_or_create(name=item)[0])
    return room


def make_clinician(*, user=None, methods: list[Method] | None = None, hours=True) -> Clinician:
    user = user or make_user(roles.CLINICIAN, first_name="Claire", last_name="Martin")
    clinician = Clinician.objects.create(user=user)
    clinician.methods.set(methods if methods is not None else [make_method()])
    if hours:
        WorkingHours.objects.bulk_create(
            WorkingHours(clinician=clinician, weekday=day, starts=time(9), ends=time(18))
            for day in range(5)
        )
        calendar_changed()  # bulk_create sends no signal
    return clinician


def make_patient(**fields) -> Patient:
    n = next(_seq)
    values = {
        "first_name": "Sophie",
        "last_name": f"Bernard{n}",
        "date_of_birth": date(1980, 5, 17),
        "sex": Patient.Sex.FEMALE,
        "phone": "+33 6 12 34 56 78",
    }
    values.update(fields)
    return Patient.objects.create(**values)


def make_screening(patient: Patient, clinician: Clinician, **fields) -> Screening:
    fields.setdefault("screened_on", date(2026, 1, 2))
    return Screening.objects.create(patient=patient, screened_by=clinician, **fields)


def make_protocol(
    text: str = "every 2 weeks for 1-2 months, then monthly for 3 months, then every 3-6 months",
    *,
    name: str | None = None,
    method: Method | None = None,
    minutes: int = 45,
) -> Protocol:
    protocol = Protocol.objects.create(
        name=name or f"Protocol {next(_seq)}",
        indication=Protocol.Indication.REJUVENATION,
        method=method or make_method(),
        session_minutes=minutes,
    )
    services.protocol_set_phases(protocol=protocol, phases=engine.parse_protocol(text))
    return protocol


def make_area(name: str = "Face") -> TreatmentArea:
    return TreatmentArea.objects.get_or_create(name=name)[0]


def make_plan(
    *,
    patient: Patient | None = None,
    protocol: Protocol | None = None,
    clinician: Clinician | None = None,
    start_date: date = date(2026, 1, 5),
    **fields,
) -> TreatmentPlan:
    return services.plan_create(
        patient=patient or make_patient(),
        protocol=protocol or make_protocol(),
        start_date=start_date,
        clinician=clinician or make_clinician(),
        areas=[make_area()],
        **fields,
    )


def make_product(name: str = "Hyaluronic acid 1.5%", **fields) -> Product:
    fields.setdefault("category", Product.Category.HYALURONIC_ACID)
    return Product.objects.get_or_create(name=name, defaults=fields)[0]


def make_batch(product: Product, lot_number: str, expiry_date: date) -> ProductBatch:
    return ProductBatch.objects.create(
        product=product, lot_number=lot_number, expiry_date=expiry_date
    )


def book(session: Session, starts_at: datetime, clinician, room, **fields) -> Appointment:
    """Put a session straight on the calendar (the booking service has its own tests)."""
    buffer = timedelta(minutes=ClinicSettings.load().buffer_minutes)
    ends_at = starts_at + timedelta(minutes=session.plan.protocol.session_minutes)
    if fields.get("status") == Appointment.Status.DONE:
        fields.setdefault("recorded_by", clinician)  # a treatment record names its author
    appointment = Appointment.objects.create(
        session=session,
        patient_id=session.patient_id,
        starts_at=starts_at,
        ends_at=ends_at,
        blocks_until=ends_at + buffer,
        clinician=clinician,
        room=room,
        **fields,
    )
    Session.objects.filter(pk=session.pk).update(status=Session.Status.BOOKED)
    session.refresh_from_db()
    return appointment


def make_consent_form(
    method: Method, *, versions: int = 1, asks_signature: bool = False, **fields
) -> ConsentForm:
    """A method's consent form with `versions` versions (the last in force)."""
    fields.setdefault("title", f"Consent to {method.name.lower()}")
    form = ConsentForm.objects.create(method=method, asks_signature=asks_signature, **fields)
    for number in range(1, versions + 1):
        ConsentFormVersion.objects.create(
            form=form,
            number=number,
            text=f"Version {number}: I consent to {method.name.lower()}.",
            published_on=date(2020, 1, number),
        )
    return form


def sign_consent(
    patient: Patient, version: ConsentFormVersion, clinician: Clinician, **fields
) -> SignedConsent:
    fields.setdefault("signed_on", version.published_on)
    return SignedConsent.objects.create(
        patient=patient, version=version, taken_by=clinician, **fields
    )
