# Written by hand: a phase's tolerance may be left to the clinic's default.

from django.db import migrations, models


def unset_unwritten_tolerances(apps, schema_editor):
    # Until now "±0 days" could not be written (the renderer dropped it), so a protocol's
    # 0 on a fixed interval meant "none written": it now gets the clinic's default. A
    # plan keeps the windows it was made with, so plan phases keep their 0.
    ProtocolPhase = apps.get_model("plans", "ProtocolPhase")
    ProtocolPhase.objects.filter(tolerance_days=0, interval_min=models.F("interval_max")).update(
        tolerance_days=None
    )


def zero_unset_tolerances(apps, schema_editor):
    for name in ("ProtocolPhase", "PlanPhase"):
        apps.get_model("plans", name).objects.filter(tolerance_days__isnull=True).update(
            tolerance_days=0
        )


class Migration(migrations.Migration):

    dependencies = [
        ("plans", "0005_session_status_starts_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="protocolphase",
            name="tolerance_days",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="Empty: the clinic's default tolerance for a fixed interval (none for a range).",
                null=True,
                verbose_name="± days",
            ),
        ),
        migrations.AlterField(
            model_name="planphase",
            name="tolerance_days",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="Empty: the clinic's default tolerance for a fixed interval (none for a range).",
                null=True,
                verbose_name="± days",
            ),
        ),
        migrations.RunPython(unset_unwritten_tolerances, zero_unset_tolerances),
    ]
