"""The instruction rules, loaded with the defaults of the clinic's domain and their French.

Before a session: aspirin or clopidogrel stopped 2-3 days before, retinoid creams 3-4
days before, no shaving on the day (men), the arrival time for the anaesthetic cream.
After: no laser or electrolysis for a week (forbidding the clinic's laser and
electrolysis methods, when it has them), and the expected effects.
"""

import clinic.models
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


# key, trigger, when, unit, offset from, offset to, English, French.
DEFAULTS = [
    (
        "stop-aspirin",
        "takes_aspirin_or_clopidogrel",
        "before",
        "day",
        2,
        3,
        "Stop aspirin or clopidogrel",
        "Arrêtez l'aspirine ou le clopidogrel",
    ),
    (
        "stop-retinoid-creams",
        "uses_retinoid_creams",
        "before",
        "day",
        3,
        4,
        "Stop retinoid creams",
        "Arrêtez les crèmes aux rétinoïdes",
    ),
    (
        "no-shaving",
        "male",
        "before",
        "day",
        0,
        0,
        "Avoid shaving the treated areas",
        "Évitez de raser les zones traitées",
    ),
    (
        "anaesthetic-cream",
        "wants_anaesthetic_cream",
        "before",
        "arrival",
        None,
        None,
        "Arrive early for the anaesthetic cream",
        "Arrivez en avance pour la crème anesthésiante",
    ),
    (
        "no-laser-or-electrolysis",
        "every_session",
        "after",
        "day",
        7,
        7,
        "No laser or electrolysis treatment",
        "Pas de laser ni d'électrolyse",
    ),
    (
        "redness-and-swelling",
        "every_session",
        "after",
        "day",
        1,
        2,
        "Redness and small swelling may last",
        "Rougeurs et léger gonflement peuvent durer",
    ),
    (
        "burning-feeling",
        "every_session",
        "after",
        "minute",
        15,
        20,
        "A burning feeling may last",
        "Une sensation de brûlure peut durer",
    ),
    (
        "slight-inflammation",
        "every_session",
        "after",
        "day",
        1,
        5,
        "Slight inflammation may last",
        "Une légère inflammation peut durer",
    ),
    (
        "small-bruises",
        "every_session",
        "after",
        "",
        None,
        None,
        "Small bruises may appear; they fade in 12 to 36 hours",
        "De petits bleus peuvent apparaître ; ils disparaissent en 12 à 36 heures",
    ),
    (
        "call-the-clinic",
        "every_session",
        "after",
        "",
        None,
        None,
        "Call the clinic if anything else appears (rarely, an allergic reaction)",
        "Appelez la clinique si autre chose apparaît (rarement, une réaction allergique)",
    ),
]
FORBIDDEN_AFTER = ("laser", "electrolysis")


def load_defaults(apps, schema_editor):
    Rule = apps.get_model("clinic", "InstructionRule")
    Translation = apps.get_model("clinic", "InstructionTranslation")
    Method = apps.get_model("clinic", "Method")
    forbidden = [m for m in Method.objects.all() if m.name.casefold() in FORBIDDEN_AFTER]
    for position, row in enumerate(DEFAULTS, start=1):
        key, trigger, when, unit, low, high, english, french = row
        rule, created = Rule.objects.get_or_create(
            key=key,
            defaults=dict(
                position=position * 10,
                trigger=trigger,
                when=when,
                offset_unit=unit,
                offset_min=low,
                offset_max=high,
                text=english,
            ),
        )
        if not created:
            continue
        Translation.objects.create(rule=rule, language="fr", text=french)
        if key == "no-laser-or-electrolysis":
            rule.forbids_methods.set(forbidden)


def unload_defaults(apps, schema_editor):
    apps.get_model("clinic", "InstructionRule").objects.filter(
        key__in=[row[0] for row in DEFAULTS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0007_dates_in_the_clinic_calendar"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="HistoricalInstructionRule",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                (
                    "key",
                    models.SlugField(
                        help_text="A short name that stays the same: stop-aspirin.", max_length=60
                    ),
                ),
                (
                    "position",
                    models.PositiveSmallIntegerField(default=10, help_text="Order on the page."),
                ),
                (
                    "trigger",
                    models.CharField(
                        choices=[
                            (
                                "takes_aspirin_or_clopidogrel",
                                "Screening: takes aspirin or clopidogrel",
                            ),
                            ("uses_retinoid_creams", "Screening: uses retinoid creams"),
                            ("wants_anaesthetic_cream", "Screening: wants anaesthetic cream"),
                            ("male", "The patient is a man"),
                            ("every_session", "Every session"),
                        ],
                        max_length=40,
                    ),
                ),
                (
                    "when",
                    models.CharField(
                        choices=[("before", "Before the session"), ("after", "After the session")],
                        max_length=6,
                    ),
                ),
                (
                    "offset_unit",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("", "No date"),
                            ("day", "Days"),
                            ("minute", "Minutes"),
                            ("arrival", "The arrival time for the anaesthetic cream"),
                        ],
                        default="",
                        max_length=8,
                        verbose_name="counted in",
                    ),
                ),
                (
                    "offset_min",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        help_text='"2" of "2-3 days".',
                        null=True,
                        verbose_name="offset (from)",
                    ),
                ),
                (
                    "offset_max",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        help_text='"3" of "2-3 days": the date counts this end, so a pause is long enough.',
                        null=True,
                        verbose_name="offset (to)",
                    ),
                ),
                (
                    "text",
                    models.CharField(
                        help_text='The start of the sentence, in English. The dates are added: before, days: "… from Tuesday 3 March (3 days before your session)"; 0 days: "… on Friday 6 March (the day of your session)"; minutes or arrival: "… at 09:30 (30 minutes before your session)"; after: "… until Friday 13 March (7 days after your session)"; no date: the text alone.',
                        max_length=300,
                    ),
                ),
                ("is_active", models.BooleanField(default=True)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "historical instruction rule",
                "verbose_name_plural": "historical instruction rules",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="InstructionRule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "key",
                    models.SlugField(
                        help_text="A short name that stays the same: stop-aspirin.",
                        max_length=60,
                        unique=True,
                    ),
                ),
                (
                    "position",
                    models.PositiveSmallIntegerField(default=10, help_text="Order on the page."),
                ),
                (
                    "trigger",
                    models.CharField(
                        choices=[
                            (
                                "takes_aspirin_or_clopidogrel",
                                "Screening: takes aspirin or clopidogrel",
                            ),
                            ("uses_retinoid_creams", "Screening: uses retinoid creams"),
                            ("wants_anaesthetic_cream", "Screening: wants anaesthetic cream"),
                            ("male", "The patient is a man"),
                            ("every_session", "Every session"),
                        ],
                        max_length=40,
                    ),
                ),
                (
                    "when",
                    models.CharField(
                        choices=[("before", "Before the session"), ("after", "After the session")],
                        max_length=6,
                    ),
                ),
                (
                    "offset_unit",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("", "No date"),
                            ("day", "Days"),
                            ("minute", "Minutes"),
                            ("arrival", "The arrival time for the anaesthetic cream"),
                        ],
                        default="",
                        max_length=8,
                        verbose_name="counted in",
                    ),
                ),
                (
                    "offset_min",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        help_text='"2" of "2-3 days".',
                        null=True,
                        verbose_name="offset (from)",
                    ),
                ),
                (
                    "offset_max",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        help_text='"3" of "2-3 days": the date counts this end, so a pause is long enough.',
                        null=True,
                        verbose_name="offset (to)",
                    ),
                ),
                (
                    "text",
                    models.CharField(
                        help_text='The start of the sentence, in English. The dates are added: before, days: "… from Tuesday 3 March (3 days before your session)"; 0 days: "… on Friday 6 March (the day of your session)"; minutes or arrival: "… at 09:30 (30 minutes before your session)"; after: "… until Friday 13 March (7 days after your session)"; no date: the text alone.',
                        max_length=300,
                    ),
                ),
                ("is_active", models.BooleanField(default=True)),
                (
                    "forbids_methods",
                    models.ManyToManyField(
                        blank=True,
                        help_text="Treatments of another method not to book while this after-session rule runs (laser after mesotherapy): booking one asks for a reason.",
                        related_name="+",
                        to="clinic.method",
                        verbose_name="forbids",
                    ),
                ),
                (
                    "methods",
                    models.ManyToManyField(
                        blank=True,
                        help_text="The sessions of these methods; leave empty for every method.",
                        related_name="instruction_rules",
                        to="clinic.method",
                    ),
                ),
            ],
            options={
                "ordering": ["position", "key"],
            },
        ),
        migrations.CreateModel(
            name="HistoricalInstructionTranslation",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                (
                    "language",
                    models.CharField(choices=clinic.models._patient_languages, max_length=5),
                ),
                ("text", models.CharField(max_length=300)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "rule",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="clinic.instructionrule",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical instruction translation",
                "verbose_name_plural": "historical instruction translations",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="HistoricalInstructionRule_methods",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                ("m2m_history_id", models.AutoField(primary_key=True, serialize=False)),
                (
                    "history",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        to="clinic.historicalinstructionrule",
                    ),
                ),
                (
                    "method",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_tablespace="",
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="clinic.method",
                    ),
                ),
                (
                    "instructionrule",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_tablespace="",
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="clinic.instructionrule",
                    ),
                ),
            ],
            options={
                "verbose_name": "HistoricalInstructionRule_methods",
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="HistoricalInstructionRule_forbids_methods",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                ("m2m_history_id", models.AutoField(primary_key=True, serialize=False)),
                (
                    "history",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        to="clinic.historicalinstructionrule",
                    ),
                ),
                (
                    "method",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_tablespace="",
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="clinic.method",
                    ),
                ),
                (
                    "instructionrule",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_tablespace="",
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="clinic.instructionrule",
                    ),
                ),
            ],
            options={
                "verbose_name": "HistoricalInstructionRule_forbids_methods",
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="InstructionTranslation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "language",
                    models.CharField(choices=clinic.models._patient_languages, max_length=5),
                ),
                ("text", models.CharField(max_length=300)),
                (
                    "rule",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="translations",
                        to="clinic.instructionrule",
                    ),
                ),
            ],
            options={
                "ordering": ["rule", "language"],
            },
        ),
        migrations.AddConstraint(
            model_name="instructionrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("offset_min__isnull", True),
                    ("offset_max__isnull", True),
                    ("offset_min__lte", models.F("offset_max")),
                    _connector="OR",
                ),
                name="instruction_offset_order",
            ),
        ),
        migrations.AddConstraint(
            model_name="instructionrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("offset_min__isnull", True), ("offset_unit__in", ["", "arrival"])),
                    models.Q(("offset_max__isnull", False), ("offset_unit__in", ["day", "minute"])),
                    _connector="OR",
                ),
                name="instruction_offset_shape",
            ),
        ),
        migrations.AddConstraint(
            model_name="instructionrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("offset_unit", "arrival"), _negated=True),
                    ("when", "before"),
                    _connector="OR",
                ),
                name="instruction_arrival_before",
            ),
        ),
        migrations.AddConstraint(
            model_name="instructionrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("offset_max__isnull", True), ("offset_max__lte", 1440), _connector="OR"
                ),
                name="instruction_offset_at_most_1440",
            ),
        ),
        migrations.AddConstraint(
            model_name="instructiontranslation",
            constraint=models.UniqueConstraint(
                fields=("rule", "language"), name="instruction_translation_once_per_language"
            ),
        ),
        migrations.RunPython(load_defaults, unload_defaults),
    ]
