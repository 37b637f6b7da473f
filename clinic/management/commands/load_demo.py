"""Load a believable clinic: resources, the four published protocols, 40 patients on their
courses, a busy week either side of the day it is loaded (`load_week`), logins.

Every row is found by its natural key before it is created, so running the command again
changes nothing. Demo logins share one password, printed at the end; the command refuses
to run with DEBUG off so a production database never gets them.
"""

import hashlib
import random
from contextlib import suppress
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q

from clinic import audit, clock, roles
from clinic.consent_texts import DEFAULT_CONSENT_FORMS
from clinic.models import (
    Clinician,
    ClinicSettings,
    Closure,
    ConsentForm,
    ConsentFormVersion,
    Contraindication,
    Equipment,
    Method,
    OpeningHours,
    Product,
    ProductBatch,
    Room,
    TimeOff,
    TreatmentArea,
    WorkingHours,
)
from patients.models import Patient, Screening, SignedConsent
from plans import availability, booking, engine, services
from plans.calendar import calendar_changed, clinic_calendar
from plans.models import Appointment, Protocol, Session

DEMO_PASSWORD = "clinic-demo-2026"
WEEK_DAYS = 7  # the week either side of today, filled
FILL = 0.65  # of a day's slots booked, today's aside (all)
WEEK_SURNAMES = ["Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertin"]
DEVICE = "Electrodermoporation device"
NEEDLE = "Needle injection"
EDP = "Electrodermoporation"

AREAS = [
    "Face",
    "Around the eyes",
    "Neck",
    "Décolleté",
    "Hands",
    "Scalp",
    "Abdomen",
    "Flanks",
    "Thighs",
    "Buttocks",
    "Above the knees",
    "Arms",
]

CONTRAINDICATIONS = {
    Contraindication.Code.PREGNANCY: ("Pregnancy", "No mesotherapy during pregnancy."),
    Contraindication.Code.INFECTION: ("Local or systemic infection", "Wait until it has healed."),
    Contraindication.Code.CHRONIC_DISEASE: (
        "Serious chronic disease",
        "Needs the specialist's agreement.",
    ),
    Contraindication.Code.UNCONTROLLED_DIABETES: (
        "Uncontrolled diabetes",
        "Treat once controlled.",
    ),
    Contraindication.Code.EPILEPSY: ("Epilepsy", ""),
    Contraindication.Code.ANTICOAGULANTS: (
        "Anticoagulant therapy (warfarin)",
        "Risk of bleeding and bruising.",
    ),
    Contraindication.Code.PRODUCT_ALLERGY: (
        "Allergy to a product in the plan",
        "Choose another product.",
    ),
    Contraindication.Code.METAL_IMPLANTS: ("Metal implants", "Electrodermoporation only."),
    Contraindication.Code.PACEMAKER: ("Pacemaker", "Electrodermoporation only."),
}

PRODUCTS = [
    ("Hyaluronic acid 1.35% (non-cross-linked)", Product.Category.HYALURONIC_ACID, []),
    ("Polyrevitalising cocktail (vitamins, minerals, amino acids)", Product.Category.VITAMINS, []),
    ("Amino acid and coenzyme complex", Product.Category.AMINO_ACIDS, []),
    ("Antioxidant plant extract", Product.Category.ANTIOXIDANTS, []),
    (
        "Phosphatidylcholine / deoxycholate",
        Product.Category.LIPOLYTIC,
        [Contraindication.Code.UNCONTROLLED_DIABETES],
    ),
    ("Hair revitalising complex", Product.Category.HAIR, [Contraindication.Code.PREGNANCY]),
    ("Glycolic acid peel 35%", Product.Category.PEEL, []),
    ("Lidocaine 5% anaesthetic cream", Product.Category.ANAESTHETIC, []),
]

PROTOCOLS = [
    (
        "Skin rejuvenation: intensive course then maintenance",
        Protocol.Indication.REJUVENATION,
        NEEDLE,
        45,
        "every 2 weeks for 1-2 months, then monthly for 3 months, then every 3-6 months",
    ),
    (
        "Six treatments, then once or twice a year",
        Protocol.Indication.DARK_CIRCLES,
        EDP,
        30,
        "6 sessions every 2 weeks ±2 days, then once or twice a year",
    ),
    (
        "Until the desired effect, then maintenance",
        Protocol.Indication.HAIR_LOSS,
        NEEDLE,
        40,
        "every 1-3 weeks, 3-6 sessions, then maintenance every 2-3 months",
    ),
    ("Repeat every 2-4 weeks", Protocol.Indication.CELLULITE, NEEDLE, 60, "every 2-4 weeks"),
]

# Hours as (start, end) in hours of the day: 8.5 is 08:30. The clinic opens through lunch;
# the clinicians take theirs in turn.
CLINICIANS = [
    # username, first, last, specialty, methods, room, {weekday: ((start, end), ...)}
    (
        "dr.martin",
        "Claire",
        "Martin",
        "Aesthetic medicine",
        [NEEDLE, EDP],
        "Room 1",
        {**dict.fromkeys(range(5), ((8.5, 13), (14, 19.5))), 5: ((9, 13),)},
    ),
    (
        "dr.rossi",
        "Marco",
        "Rossi",
        "Dermatology",
        [NEEDLE, EDP],
        "Room 2",
        dict.fromkeys(range(5), ((8.5, 13), (14, 19))),
    ),
    (
        "dr.nguyen",
        "Linh",
        "Nguyen",
        "Aesthetic medicine",
        [NEEDLE, EDP],
        "Room 3",
        dict.fromkeys(range(5), ((9, 13.5), (14.5, 19.5))),
    ),
]


def at_hour(hours: float) -> time:
    return time(int(hours), round(hours % 1 * 60))


FIRST_NAMES_F = [
    "Sophie",
    "Camille",
    "Léa",
    "Chloé",
    "Emma",
    "Inès",
    "Manon",
    "Sarah",
    "Julie",
    "Anna",
    "Elena",
    "Marie",
    "Nadia",
    "Olga",
    "Aurélie",
    "Isabelle",
    "Hélène",
    "Pauline",
    "Laura",
    "Yasmine",
    "Clara",
    "Lucie",
    "Alice",
    "Zoé",
    "Amélie",
    "Margaux",
    "Valérie",
    "Nathalie",
]
FIRST_NAMES_M = [
    "Thomas",
    "Nicolas",
    "Julien",
    "Karim",
    "Pierre",
    "Antoine",
    "David",
    "Hugo",
    "Mehdi",
    "Louis",
    "Paul",
    "Marc",
]
LAST_NAMES = [
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
]


def served_at(address: str) -> str:
    """The address `runserver <address>` serves, to open: it takes "host:port", a bare
    port (on 127.0.0.1) or a bare host (on port 8000); every interface (0.0.0.0) is
    opened on this machine."""
    host, colon, port = address.rpartition(":")
    if not colon:
        host, port = ("127.0.0.1", address) if address.isdigit() else (address, "8000")
    if host in ("", "0", "0.0.0.0"):
        host = "127.0.0.1"
    return f"http://{host}:{port}/"


class Command(BaseCommand):
    help = "Load a demo clinic (idempotent) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--address",
            default="127.0.0.1:8000",
            help="Where the server will listen, to print (`make run HOST=...` passes it).",
        )
        parser.add_argument(
            "--without-week",
            action="store_true",
            help="Leave out the busy week around today: the clinic's 40 patients on their "
            "courses only (the migrations' tests, which need the clinic's shape, not its crowd).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("The demo clinic is for development only (DJANGO_DEBUG is false).")
        with transaction.atomic():
            self.load(today=ClinicSettings.load().today(), week=not options["without_week"])
        self.stdout.write(
            self.style.SUCCESS(f"Demo clinic ready. Sign in at {served_at(options['address'])}")
        )
        self.stdout.write(f"  password for every demo login: {DEMO_PASSWORD}")
        self.stdout.write("  admin         (Admin: Django admin, protocols, resources)")
        self.stdout.write("  reception     (Receptionist: schedule, arrivals, bookings)")
        for username, first, last, *_ in CLINICIANS:
            self.stdout.write(f"  {username:<13} (Clinician: Dr {first} {last})")

    def load(self, *, today: date, week: bool = True) -> None:
        clinic = ClinicSettings.load()
        if clinic.name == ClinicSettings._meta.get_field("name").default:
            clinic.name = "Lumière Aesthetic Clinic"
            clinic.save(update_fields=["name"])
        self.load_calendar(today)
        methods = self.load_methods_and_rooms()
        self.load_catalogue(today, methods)
        protocols = self.load_protocols(methods)
        clinicians = self.load_people(methods)
        self.load_patients(today, clinicians, protocols)
        self.load_consents(today, methods)
        if week:
            self.load_week(today, clinicians, protocols)

    def load_calendar(self, today: date) -> None:
        if not OpeningHours.objects.exists():
            for weekday in range(5):
                OpeningHours.objects.create(weekday=weekday, opens=time(8, 30), closes=time(19, 30))
            OpeningHours.objects.create(weekday=5, opens=time(9), closes=time(13))
        year = today.year
        for name, first, last in [
            ("Christmas Day", date(year, 12, 25), date(year, 12, 25)),
            ("New Year's Day", date(year + 1, 1, 1), date(year + 1, 1, 1)),
            ("Labour Day", date(year + 1, 5, 1), date(year + 1, 5, 1)),
            ("Summer break", date(year + 1, 8, 9), date(year + 1, 8, 22)),
        ]:
            Closure.objects.get_or_create(name=name, first_day=first, defaults={"last_day": last})

    def load_methods_and_rooms(self) -> dict[str, Method]:
        device, _ = Equipment.objects.get_or_create(name=DEVICE)
        needle, _ = Method.objects.get_or_create(
            name=NEEDLE,
            defaults={
                "description": "Micro-injections by syringe or injector gun, no deeper "
                "than about 4 mm."
            },
        )
        edp, created = Method.objects.get_or_create(
            name=EDP,
            defaults={
                "description": "Needle-free: radio-frequency pulses open the skin so the "
                "product diffuses in.",
                "needle_free": True,
            },
        )
        if created:
            edp.required_equipment.add(device)
        for name, has_device in [("Room 1", True), ("Room 2", True), ("Room 3", True)]:
            room, created = Room.objects.get_or_create(name=name)
            if created and has_device:
                room.equipment.add(device)
        return {NEEDLE: needle, EDP: edp}

    def load_catalogue(self, today: date, methods: dict[str, Method]) -> None:
        for name in AREAS:
            TreatmentArea.objects.get_or_create(name=name)
        for code, (name, guidance) in CONTRAINDICATIONS.items():
            item, created = Contraindication.objects.get_or_create(
                code=code, defaults={"name": name, "guidance": guidance}
            )
            if created and code in (
                Contraindication.Code.METAL_IMPLANTS,
                Contraindication.Code.PACEMAKER,
            ):
                item.methods.add(methods[EDP])
        for index, (name, category, codes) in enumerate(PRODUCTS):
            product, created = Product.objects.get_or_create(
                name=name, defaults={"category": category}
            )
            if created and codes:
                product.contraindications.set(Contraindication.objects.filter(code__in=codes))
            for lot, months in [
                (f"L{24100 + index}A", -2),
                (f"L{25300 + index}B", 8),
                (f"L{26050 + index}C", 20),
            ]:
                ProductBatch.objects.get_or_create(
                    product=product,
                    lot_number=lot,
                    defaults={
                        "expiry_date": engine.add_interval(today, months, engine.Unit.MONTH),
                    },
                )

    def load_protocols(self, methods: dict[str, Method]) -> list[Protocol]:
        protocols = []
        for name, indication, method, minutes, text in PROTOCOLS:
            protocol, created = Protocol.objects.get_or_create(
                name=name,
                defaults={
                    "indication": indication,
                    "method": methods[method],
                    "session_minutes": minutes,
                },
            )
            if created:
                services.protocol_set_phases(protocol=protocol, phases=engine.parse_protocol(text))
            protocols.append(protocol)
        return protocols

    def user(self, username: str, first: str, last: str, role: str, *, staff=False):
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "is_staff": staff,
                "email": f"{username}@clinic.example",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role))
        return user

    def load_people(self, methods: dict[str, Method]) -> list[Clinician]:
        roles.sync_roles()
        self.user("admin", "Alex", "Admin", roles.ADMIN, staff=True)
        self.user("reception", "Rita", "Desk", roles.RECEPTIONIST)
        clinicians = []
        for username, first, last, specialty, method_names, _, hours in CLINICIANS:
            user = self.user(username, first, last, roles.CLINICIAN)
            clinician, created = Clinician.objects.get_or_create(
                user=user, defaults={"specialty": specialty}
            )
            if created:
                clinician.methods.set(methods[name] for name in method_names)
                audit.bulk_create(
                    WorkingHours,
                    (
                        WorkingHours(
                            clinician=clinician, weekday=day, starts=at_hour(a), ends=at_hour(b)
                        )
                        for day, spans in hours.items()
                        for a, b in spans
                    ),
                )
            clinicians.append(clinician)
        calendar_changed()  # bulk_create sends no signal
        return clinicians

    def load_patients(self, today, clinicians, protocols) -> None:
        areas = list(TreatmentArea.objects.all())
        products = list(Product.objects.exclude(category=Product.Category.ANAESTHETIC))
        for index in range(40):
            # One generator per patient: a rerun that skips existing rows draws the same names.
            rng = random.Random(f"patient-{index}")
            male = index % 4 == 3
            first = rng.choice(FIRST_NAMES_M if male else FIRST_NAMES_F)
            last = LAST_NAMES[index]
            born = today - timedelta(days=rng.randint(25 * 365, 68 * 365))
            patient, created = Patient.objects.get_or_create(
                first_name=first,
                last_name=last,
                defaults={
                    "date_of_birth": born,
                    "sex": Patient.Sex.MALE if male else Patient.Sex.FEMALE,
                    "phone": f"+33 6 {rng.randint(10, 99)} {rng.randint(10, 99)} "
                    f"{rng.randint(10, 99)} {rng.randint(10, 99)}",
                    "email": f"{first.lower()}.{last.lower()}@mail.example",
                    "preferred_language": rng.choice(["fr", "fr", "fr", "en", "it"]),
                },
            )
            if not created:
                continue
            clinician = clinicians[index % len(clinicians)]
            Screening.objects.create(
                patient=patient,
                screened_on=today - timedelta(days=rng.randint(1, 60)),
                screened_by=clinician,
                pregnant=not male and index % 17 == 5,
                anticoagulants=index % 13 == 7,
                uncontrolled_diabetes=index % 19 == 11,
                takes_aspirin_or_clopidogrel=index % 6 == 1,
                uses_retinoid_creams=index % 5 == 2,
                wants_anaesthetic_cream=index % 3 == 0,
            )
            if index % 2 == 0:
                protocol = protocols[index % len(protocols)]
                plan = services.plan_create(
                    patient=patient,
                    protocol=protocol,
                    # Some start today, so the day's schedule has patients in it.
                    start_date=today
                    if index % 6 == 0
                    else today + timedelta(days=rng.randint(-70, 21)),
                    clinician=clinician,
                    areas=rng.sample(areas, k=rng.randint(1, 3)),
                    products=rng.sample(products, k=rng.randint(1, 2)),
                )
                self.bring_up_to_date(plan, today)

    def load_consents(self, today: date, methods: dict[str, Method]) -> None:
        """The methods' consent forms, as a clinic that brought them in this year has them:
        most patients with a plan have signed theirs; every fifth has not yet, so the
        recall board and the day's cards show consents to sign."""
        for method in methods.values():
            if method.name.lower() not in DEFAULT_CONSENT_FORMS:
                continue
            title, asks_signature, text = DEFAULT_CONSENT_FORMS[method.name.lower()]
            form, created = ConsentForm.objects.get_or_create(
                method=method, defaults={"title": title, "asks_signature": asks_signature}
            )
            if created:
                ConsentFormVersion.objects.create(
                    form=form, number=1, text=text, published_on=date(today.year, 1, 1)
                )
        patients = Patient.objects.filter(plans__isnull=False).distinct().order_by("pk")
        for position, patient in enumerate(patients):
            if position % 5 == 4:
                continue
            for plan in patient.plans.select_related("protocol__method", "clinician"):
                form = ConsentForm.objects.filter(method=plan.protocol.method).first()
                version = form.current() if form else None
                if version is None:
                    continue
                week_before = plan.start_date - timedelta(days=7)
                SignedConsent.objects.get_or_create(
                    patient=patient,
                    version=version,
                    defaults={
                        "signed_on": min(today, max(week_before, version.published_on)),
                        "taken_by": plan.clinician,
                    },
                )

    def bring_up_to_date(self, plan, today) -> None:
        """Past sessions held on their due day, the rest booked, as a running clinic has."""
        tz = ClinicSettings.load().tz
        while True:
            session = (
                plan.sessions.filter(status=Session.Status.TO_BOOK, optional=False)
                .order_by("number")
                .first()
            )
            if session is None or session.due >= today:
                break
            held_at = datetime.combine(session.due, time(10, 30), tzinfo=tz)
            # What went into the patient, traced to the batch in date that day: the
            # product-lot report has a recall's worth of patients to find.
            in_date = self.batches_in_date(session.due)
            batches = [in_date[p.pk] for p in plan.products.all() if p.pk in in_date]
            services.session_mark_done(
                session=session,
                held_at=held_at,
                areas=plan.areas.all(),
                batches=batches,
                by=plan.clinician.user,
            )
        try:
            proposal = availability.plan_propose(plan=plan)
            booking.plan_book(plan=plan, placements=proposal.placements, confirm_outside=True)
        except ValidationError:
            pass  # contraindicated or not bookable: it waits for a clinician, as it would

    # --- the week around today -------------------------------------------------------

    def load_week(self, today: date, clinicians: list[Clinician], protocols) -> None:
        """A clinic in full swing: the week either side of today filled as a busy clinic's
        is (today full, the other days about two thirds), each appointment a new patient
        starting a course. The past held, with a few no-shows and a cancellation; today's
        patients before now seen or arriving; next week, an afternoon's time off leaves
        its bookings on the rebooking worklist. A patient is found by name before being
        created: a second run the same day adds nothing."""
        clinic = ClinicSettings.load()
        tz, now = clinic.tz, clock.now()
        rooms = {room.name: room for room in Room.objects.all()}
        by_user = {clinician.user.username: clinician for clinician in clinicians}
        away = self.afternoon_off(today, tz)
        if TimeOff.objects.filter(clinician=by_user["dr.rossi"], starts_at=away).exists():
            return  # loaded today already: its afternoon off would move the week's slots
        batches = self.batches_in_date(today)
        areas = list(TreatmentArea.objects.all())
        versions = {
            form.method_id: form.current()
            for form in ConsentForm.objects.filter(is_active=True).prefetch_related("versions")
        }
        standing = clinic_calendar(clinic)
        for offset in range(-WEEK_DAYS, WEEK_DAYS + 1):
            day = today + timedelta(days=offset)
            if not standing.open_on(day, tz):
                continue
            for username, *_, room_name, _hours in CLINICIANS:
                clinician = by_user[username]
                room = rooms[room_name]
                kinds = [
                    p
                    for p in protocols
                    if clinician.methods.filter(pk=p.method_id).exists()
                    and set(p.method.required_equipment.values_list("pk", flat=True))
                    <= set(room.equipment.values_list("pk", flat=True))
                ]
                turn = self.turn(kinds)
                for span in standing.works_on(clinician.pk, day, tz):
                    start = span.start
                    while start < span.end:
                        # Everything about a slot comes from its day, clinician and time:
                        # a second run the same day walks the same slots to the same
                        # patients, and creates none.
                        key = f"{day.isoformat()}-{username}-{start:%H%M}"
                        number = int(hashlib.sha256(key.encode()).hexdigest()[:12], 16)
                        rng = random.Random(number)
                        protocol = turn[number % len(turn)]
                        step = self.step(protocol, clinic)
                        if start + step > span.end:
                            break
                        if self.taken(clinician, room, start, start + step):
                            # A course of the 40 patients, or this week's booking of an
                            # earlier run: try a little later.
                            start += timedelta(minutes=clinic.slot_grid_minutes)
                            continue
                        if not offset or rng.random() <= FILL:  # other days: not full
                            self.week_booking(
                                number,
                                rng,
                                day,
                                start,
                                start == span.start,
                                clinician,
                                room,
                                protocol,
                                now=now,
                                today=today,
                                areas=areas,
                                batches=batches,
                                versions=versions,
                            )
                        start += step
        self.today_so_far(today, now, tz)
        TimeOff.objects.create(
            clinician=by_user["dr.rossi"],
            starts_at=away,
            ends_at=away + timedelta(hours=3),
            reason="Training",
        )  # over bookings: its own signal puts them on the rebooking worklist

    def today_so_far(self, today: date, now: datetime, tz) -> None:
        """The day as the desk has run it until now, the 40 patients' bookings included:
        those over held, the ones under way arrived."""
        first = datetime.combine(today, time(0), tzinfo=tz)
        for appointment in Appointment.objects.filter(
            status=Appointment.Status.BOOKED, starts_at__gte=first, starts_at__lte=now
        ).select_related("session", "clinician__user"):
            if appointment.ends_at <= now:
                # An earlier session of the course still open: left to the desk.
                with suppress(ValidationError):
                    services.session_mark_done(
                        session=appointment.session,
                        held_at=appointment.starts_at,
                        areas=appointment.session.plan.areas.all(),
                        by=appointment.clinician.user,
                    )
            else:
                services.appointment_mark_arrived(
                    appointment=appointment, now=appointment.starts_at
                )

    def taken(self, clinician: Clinician, room: Room, start: datetime, end: datetime) -> bool:
        return Appointment.objects.filter(
            Q(clinician=clinician) | Q(room=room),
            status__in=Appointment.OCCUPYING,
            starts_at__lt=end,
            blocks_until__gt=start,
        ).exists()

    def turn(self, kinds):
        """The protocols of the week's new courses in turn: the clinic's quick sessions
        (its hour-long ones are booked by the 40 patients' courses), the shortest most."""
        turn = sorted((p for p in kinds if p.session_minutes < 60), key=lambda p: p.session_minutes)
        return [turn[0], turn[0], turn[0], *turn]

    def step(self, protocol, clinic) -> timedelta:
        """A session and the buffer after it, rounded up to the clinic's grid."""
        grid = timedelta(minutes=clinic.slot_grid_minutes)
        step = timedelta(minutes=protocol.session_minutes + clinic.buffer_minutes)
        return grid * -(-step // grid)

    def batches_in_date(self, day: date) -> dict[int, ProductBatch]:
        """Each product's batch in date on `day` (by product id), the one expiring first:
        what a treatment that day records."""
        found = {}
        for batch in ProductBatch.objects.filter(expiry_date__gt=day).order_by("expiry_date"):
            found.setdefault(batch.product_id, batch)
        return found

    def week_booking(
        self,
        number,
        rng,
        day,
        start,
        opening,
        clinician,
        room,
        protocol,
        *,
        now,
        today,
        **catalogue,
    ):
        female = number % 5 != 4
        first = rng.choice(FIRST_NAMES_F if female else FIRST_NAMES_M)
        last = rng.choice(LAST_NAMES)
        patient, created = Patient.objects.get_or_create(
            first_name=first,
            last_name=f"{last}-{rng.choice(WEEK_SURNAMES)}",
            defaults={
                "date_of_birth": today - timedelta(days=rng.randint(25 * 365, 65 * 365)),
                "sex": Patient.Sex.FEMALE if female else Patient.Sex.MALE,
                "phone": f"+33 6 {rng.randint(10, 99)} {rng.randint(10, 99)} "
                f"{rng.randint(10, 99)} {rng.randint(10, 99)}",
                "email": f"{first.lower()}.{last.lower()}{number % 1000}@mail.example",
                "preferred_language": rng.choice(["fr", "fr", "fr", "en", "it"]),
            },
        )
        if not created:
            return False  # loaded before: a second run adds nothing
        Screening.objects.create(
            patient=patient,
            screened_on=min(day, today) - timedelta(days=rng.randint(1, 20)),
            screened_by=clinician,
            takes_aspirin_or_clopidogrel=number % 7 == 3,
            uses_retinoid_creams=number % 9 == 4,
            # Not at the opening of a morning or afternoon: the cream comes before.
            wants_anaesthetic_cream=number % 4 == 0 and not opening,
        )
        version = catalogue["versions"].get(protocol.method_id)
        if version is not None:
            SignedConsent.objects.create(
                patient=patient,
                version=version,
                signed_on=min(day, today) - timedelta(days=1),
                taken_by=clinician,
            )
        plan = services.plan_create(
            patient=patient,
            protocol=protocol,
            start_date=day,
            clinician=clinician,
            areas=rng.sample(catalogue["areas"], k=rng.randint(1, 2)),
            products=[],
        )
        session = plan.sessions.get(number=1)
        try:
            appointment = booking.appointment_book(
                session=session,
                starts_at=start,
                clinician=clinician,
                room=room,
                now=min(now, start) - timedelta(days=1),
            ).appointment
        except ValidationError:
            return None  # taken by a course of the 40 patients: the slot is theirs
        ends = appointment.ends_at
        if ends <= now:
            if number % 17 == 5:
                services.appointment_mark_no_show(appointment=appointment)
            elif number % 23 == 7:
                services.appointment_cancel(
                    appointment=appointment, reason="Called in the morning: unwell"
                )
            else:
                services.session_mark_done(
                    session=session,
                    held_at=appointment.starts_at,
                    areas=plan.areas.all(),
                    batches=list(catalogue["batches"].values())[number % 3 :][:1],
                    by=clinician.user,
                )
        elif appointment.starts_at <= now:
            services.appointment_mark_arrived(appointment=appointment, now=appointment.starts_at)
        elif day == today and number % 11 == 2:
            services.appointment_cancel(appointment=appointment, reason="Car broke down")

    def afternoon_off(self, today: date, tz) -> datetime:
        """When the week's afternoon off starts: a weekday of the booked days ahead."""
        day = today + timedelta(days=3)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return datetime.combine(day, time(14), tzinfo=tz)
