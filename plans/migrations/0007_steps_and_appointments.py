"""Sessions become steps of the course; their times become appointments.

A session used to be both a step of the course and its appointment. Every session of
the old shape with a time (booked, arrived, done, cancelled, no-show) gets its
appointment here, with its times, clinician, room, reason, arrival and treatment
record (areas, batches, notes, complications); nothing is dropped. The step keeps its
number and window:

- planned -> to book; booked or arrived -> booked; done -> done;
- cancelled or no-show -> skipped when optional, else no longer needed: the old
  re-planning had already added a session in its place. Its reason is kept on the step
  (`closed_reason`) and on the appointment. Who cancelled was not recorded: the
  appointment says "cancelled by patient".

The no-double-booking exclusion constraints of PostgreSQL (migration 0002) move from
sessions to appointments.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

LIVE = "status IN ('booked', 'arrived')"
SESSION_EXCLUSIONS = {
    "session_no_clinician_overlap": f"clinician_id WITH =, tstzrange(starts_at, blocks_until) WITH &&) WHERE ({LIVE}",
    "session_no_room_overlap": f"room_id WITH =, tstzrange(starts_at, blocks_until) WITH &&) WHERE ({LIVE}",
    "session_no_patient_overlap": f"patient_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE ({LIVE}",
}
APPOINTMENT_EXCLUSIONS = {
    "appointment_no_clinician_overlap": f"clinician_id WITH =, tstzrange(starts_at, blocks_until) WITH &&) WHERE ({LIVE}",
    "appointment_no_room_overlap": f"room_id WITH =, tstzrange(starts_at, blocks_until) WITH &&) WHERE ({LIVE}",
    "appointment_no_patient_overlap": f"patient_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE ({LIVE}",
}


def _add(table, constraints):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        for name, body in constraints.items():
            schema_editor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {name} EXCLUDE USING gist ({body})"
            )

    return run


def _drop(table, constraints):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name in constraints:
            schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")

    return run


drop_session_exclusions = _drop("plans_session", SESSION_EXCLUSIONS)
add_session_exclusions = _add("plans_session", SESSION_EXCLUSIONS)
add_appointment_exclusions = _add("plans_appointment", APPOINTMENT_EXCLUSIONS)
drop_appointment_exclusions = _drop("plans_appointment", APPOINTMENT_EXCLUSIONS)

STEP = {"planned": "to_book", "booked": "booked", "arrived": "booked", "done": "done"}
APPOINTMENT = {
    "booked": "booked",
    "arrived": "arrived",
    "done": "done",
    "cancelled": "cancelled_patient",
    "no_show": "no_show",
}


def sessions_to_appointments(apps, schema_editor):
    Session = apps.get_model("plans", "Session")
    Appointment = apps.get_model("plans", "Appointment")
    ProductUse = apps.get_model("plans", "ProductUse")
    sessions = Session.objects.select_related("plan").prefetch_related("areas_treated")
    for session in sessions.iterator(chunk_size=500):
        old = session.status
        if old in STEP:
            session.status = STEP[old]
        else:
            session.status = "skipped" if session.optional else "not_needed"
            session.closed_reason = (session.cancel_reason or "No-show" if old == "no_show" else session.cancel_reason or "Cancelled")[:200]
        session.save(update_fields=["status", "closed_reason"])
        if session.starts_at is None:
            continue
        appointment = Appointment.objects.create(
            session_id=session.pk,
            patient_id=session.patient_id,
            status=APPOINTMENT[old],
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            blocks_until=session.blocks_until or session.ends_at,
            clinician_id=session.clinician_id or session.plan.clinician_id,
            room_id=session.room_id,
            reason=(session.cancel_reason or ("Cancelled" if old == "cancelled" else ""))[:200],
            needs_rebooking=session.needs_rebooking,
            arrived_at=session.arrived_at,
            notes=session.notes,
            complications=session.complications,
        )
        # Kept as they were, not stamped with the day of the migration.
        Appointment.objects.filter(pk=appointment.pk).update(
            created_at=session.updated_at, changed_at=session.updated_at
        )
        appointment.areas_treated.set(session.areas_treated.all())
        ProductUse.objects.filter(session_id=session.pk).update(appointment_id=appointment.pk)


def appointments_to_sessions(apps, schema_editor):
    Session = apps.get_model("plans", "Session")
    Appointment = apps.get_model("plans", "Appointment")
    ProductUse = apps.get_model("plans", "ProductUse")
    back = {value: key for key, value in APPOINTMENT.items()}
    back["cancelled_clinic"] = "cancelled"
    for session in Session.objects.iterator(chunk_size=500):
        appointments = list(
            Appointment.objects.filter(session_id=session.pk).order_by("created_at", "pk")
        )
        current = next(
            (a for a in appointments if a.status in ("booked", "arrived", "done")),
            appointments[-1] if appointments else None,
        )
        if current is None:
            session.status = {"to_book": "planned"}.get(session.status, "cancelled")
            session.cancel_reason = session.closed_reason or ("Cancelled" if session.status == "cancelled" else "")
            session.save()
            continue
        session.status = back[current.status]
        session.starts_at, session.ends_at = current.starts_at, current.ends_at
        session.blocks_until = current.blocks_until
        session.clinician_id, session.room_id = current.clinician_id, current.room_id
        session.cancel_reason = current.reason or ("Cancelled" if session.status == "cancelled" else "")
        session.needs_rebooking, session.arrived_at = current.needs_rebooking, current.arrived_at
        session.notes, session.complications = current.notes, current.complications
        session.save()
        session.areas_treated.set(current.areas_treated.all())
        ProductUse.objects.filter(appointment_id=current.pk).update(session_id=session.pk)


class Migration(migrations.Migration):

    dependencies = [
        ('clinic', '0003_default_tolerance_percent'),
        ('patients', '0002_screening_recorded_at'),
        ('plans', '0006_tolerance_may_be_unset'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Appointment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('booked', 'Booked'), ('arrived', 'Arrived'), ('done', 'Done'), ('cancelled_patient', 'Cancelled by patient'), ('cancelled_clinic', 'Cancelled by clinic'), ('no_show', 'No-show')], default='booked', max_length=20)),
                ('starts_at', models.DateTimeField()),
                ('ends_at', models.DateTimeField()),
                ('blocks_until', models.DateTimeField(editable=False, help_text="End of the appointment plus the clinic's buffer: the clinician and room are held until then.")),
                ('reason', models.CharField(blank=True, help_text='Why it was cancelled or missed.', max_length=200)),
                ('outside_window', models.BooleanField(default=False, help_text="Booked outside its session's window, confirmed by whoever booked it.")),
                ('needs_rebooking', models.BooleanField(default=False, help_text="Set when a closure, time off or re-planning leaves it invalid: it is on reception's rebooking worklist until moved.")),
                ('arrived_at', models.DateTimeField(blank=True, null=True)),
                ('notes', models.TextField(blank=True, help_text='Clinical notes of the session.')),
                ('complications', models.TextField(blank=True, help_text='Anything beyond the expected redness, swelling or small bruises.')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('changed_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'ordering': ['starts_at', 'id'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='productuse',
            name='product_use_once_per_batch',
        ),
        migrations.AddField(
            model_name='session',
            name='closed_reason',
            field=models.CharField(blank=True, help_text='Why a skipped or no-longer-needed step closed.', max_length=200),
        ),
        migrations.AddField(
            model_name='treatmentplan',
            name='other_clinicians_ok',
            field=models.BooleanField(default=False, help_text="The patient accepts another clinician when the plan's own has no time.", verbose_name='another clinician will do'),
        ),
        migrations.AlterField(
            model_name='session',
            name='status',
            field=models.CharField(choices=[('to_book', 'To book'), ('booked', 'Booked'), ('done', 'Done'), ('skipped', 'Skipped'), ('not_needed', 'No longer needed')], default='to_book', max_length=10),
        ),
        migrations.AddField(
            model_name='appointment',
            name='areas_treated',
            field=models.ManyToManyField(blank=True, related_name='+', to='clinic.treatmentarea'),
        ),
        migrations.AddField(
            model_name='appointment',
            name='changed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='appointment',
            name='clinician',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='appointments', to='clinic.clinician'),
        ),
        migrations.AddField(
            model_name='appointment',
            name='created_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='appointment',
            name='patient',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='appointments', to='patients.patient'),
        ),
        migrations.AddField(
            model_name='appointment',
            name='room',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='appointments', to='clinic.room'),
        ),
        migrations.AddField(
            model_name='appointment',
            name='session',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='appointments', to='plans.session'),
        ),
        migrations.AddField(
            model_name='productuse',
            name='appointment',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='product_uses', to='plans.appointment'),
        ),
        migrations.RunPython(drop_session_exclusions, add_session_exclusions),
        migrations.RunPython(sessions_to_appointments, appointments_to_sessions),
        migrations.AlterField(
            model_name='productuse',
            name='appointment',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='product_uses', to='plans.appointment'),
        ),
        migrations.AlterModelOptions(
            name='productuse',
            options={'ordering': ['appointment', 'id']},
        ),
        migrations.RemoveConstraint(
            model_name='session',
            name='session_booking_times',
        ),
        migrations.RemoveConstraint(
            model_name='session',
            name='session_booked_has_slot',
        ),
        migrations.RemoveConstraint(
            model_name='session',
            name='session_buffer_after_end',
        ),
        migrations.RemoveConstraint(
            model_name='session',
            name='session_cancel_has_reason',
        ),
        migrations.RemoveIndex(
            model_name='session',
            name='plans_sessi_starts__6847bb_idx',
        ),
        migrations.RemoveIndex(
            model_name='session',
            name='plans_sessi_status_de34b7_idx',
        ),
        migrations.AddConstraint(
            model_name='productuse',
            constraint=models.UniqueConstraint(fields=('appointment', 'batch'), name='product_use_once_per_batch'),
        ),
        migrations.RemoveField(
            model_name='productuse',
            name='session',
        ),
        migrations.RemoveField(
            model_name='session',
            name='areas_treated',
        ),
        migrations.RemoveField(
            model_name='session',
            name='arrived_at',
        ),
        migrations.RemoveField(
            model_name='session',
            name='blocks_until',
        ),
        migrations.RemoveField(
            model_name='session',
            name='cancel_reason',
        ),
        migrations.RemoveField(
            model_name='session',
            name='clinician',
        ),
        migrations.RemoveField(
            model_name='session',
            name='complications',
        ),
        migrations.RemoveField(
            model_name='session',
            name='ends_at',
        ),
        migrations.RemoveField(
            model_name='session',
            name='needs_rebooking',
        ),
        migrations.RemoveField(
            model_name='session',
            name='notes',
        ),
        migrations.RemoveField(
            model_name='session',
            name='room',
        ),
        migrations.RemoveField(
            model_name='session',
            name='starts_at',
        ),
        migrations.AddIndex(
            model_name='appointment',
            index=models.Index(fields=['starts_at'], name='plans_appoi_starts__0a3fdd_idx'),
        ),
        migrations.AddIndex(
            model_name='appointment',
            index=models.Index(fields=['status', 'starts_at'], name='plans_appoi_status_cc648d_idx'),
        ),
        migrations.AddConstraint(
            model_name='appointment',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['booked', 'arrived', 'done'])), fields=('session',), name='appointment_one_live_per_session'),
        ),
        migrations.AddConstraint(
            model_name='appointment',
            constraint=models.CheckConstraint(condition=models.Q(('ends_at__gt', models.F('starts_at'))), name='appointment_times'),
        ),
        migrations.AddConstraint(
            model_name='appointment',
            constraint=models.CheckConstraint(condition=models.Q(('blocks_until__gte', models.F('ends_at'))), name='appointment_buffer_after_end'),
        ),
        migrations.AddConstraint(
            model_name='appointment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status__in', ['booked', 'arrived']), _negated=True), ('room__isnull', False), _connector='OR'), name='appointment_booked_has_room'),
        ),
        migrations.AddConstraint(
            model_name='appointment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status__in', ['cancelled_patient', 'cancelled_clinic']), _negated=True), models.Q(('reason', ''), _negated=True), _connector='OR'), name='appointment_cancel_has_reason'),
        ),
        migrations.RunPython(add_appointment_exclusions, drop_appointment_exclusions),
    ]
