# Indexes of the audit table that no query uses (docs/matching.md §7: a bulk import writes two to
# three events per person, each paying for every index):
#
# - the `varchar_pattern_ops` copies of event_type and target_id (`_like`): no query matches
#   either column with LIKE. event_type is read by equality (backoffice.org_views's activity
#   filter, backoffice.scope), target_id too; the admin's search on target_id is
#   `UPPER(…) LIKE '%…%'`, which no index serves.
# - target_id's own index: every query of a target's events gives its type as well —
#   matching.service (a case's events), backoffice.service_views (a Profile's and its person's),
#   backoffice.scope (`submitted_by_actor`, `_reassigned_here`) — which the index on
#   (target_type, target_id, at) serves, in the order those queries ask for.
#
# event_type's, at's and actor_id's own indexes, that composite index and the chain's unique
# (chain, seq) stay. Old nodes run unchanged after this migration (no query needs what it drops).

from django.db import migrations, models

from edgate.core.dbindexes import LIKE, PLAIN, drop_indexes

forward, backward = drop_indexes(
    [
        ("audit_auditevent", "event_type", LIKE),
        ("audit_auditevent", "target_id", LIKE),
        ("audit_auditevent", "target_id", PLAIN),
    ]
)


class Migration(migrations.Migration):
    atomic = False  # DROP INDEX CONCURRENTLY: nodes keep writing events meanwhile

    dependencies = [("audit", "0005_hash_chain")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="target_id",
                    field=models.CharField(blank=True, max_length=64),
                ),
            ],
            database_operations=[migrations.RunPython(forward, backward)],
        ),
    ]
