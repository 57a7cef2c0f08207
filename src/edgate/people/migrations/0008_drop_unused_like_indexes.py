# The `varchar_pattern_ops` copies Django made of the SSN hash, state ID (both unique), email
# and phone indexes: every query of the project reads these columns by equality — matching's
# candidates (`email = %s`, `phone = %s`, the SSN hash and state ID), the per-row import's
# clashes, registration and the consoles' look-ups — which the unique constraints and the
# plain indexes serve; the consoles' and the admin's searches use `UPPER(…) LIKE` or the name
# keys' own prefix indexes (0003), never these. Every person written paid for four more index
# entries (docs/matching.md §7). The plain and unique indexes stay.

from django.db import migrations

from edgate.core.dbindexes import LIKE, drop_indexes

forward, backward = drop_indexes(
    [
        ("people_person", "ssn_hash", LIKE),
        ("people_person", "state_id", LIKE),
        ("people_person", "email", LIKE),
        ("people_person", "phone", LIKE),
    ]
)


class Migration(migrations.Migration):
    atomic = False  # DROP INDEX CONCURRENTLY: old nodes keep writing meanwhile

    dependencies = [("people", "0007_full_name_dob_index")]

    operations = [migrations.RunPython(forward, backward)]
