"""No double booking, enforced by PostgreSQL itself.

An exclusion constraint per resource refuses two live bookings whose time ranges overlap
for the same clinician, the same room (both held until `blocks_until`, the buffer
included) or the same patient. SQLite has no such constraint: there the booking service
checks for overlaps inside a write transaction that SQLite serialises (IMMEDIATE mode).
"""

from django.db import migrations

LIVE = "status IN ('booked', 'arrived')"
CONSTRAINTS = {
    "session_no_clinician_overlap": f"clinician_id WITH =, tstzrange(starts_at, blocks_until) WITH &&) WHERE ({LIVE}",
    "session_no_room_overlap": f"room_id WITH =, tstzrange(starts_at, blocks_until) WITH &&) WHERE ({LIVE}",
    "session_no_patient_overlap": f"patient_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE ({LIVE}",
}


def add_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for name, body in CONSTRAINTS.items():
        schema_editor.execute(
            f"ALTER TABLE plans_session ADD CONSTRAINT {name} EXCLUDE USING gist ({body})"
        )


def drop_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE plans_session DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]

    operations = [migrations.RunPython(add_constraints, drop_constraints)]
