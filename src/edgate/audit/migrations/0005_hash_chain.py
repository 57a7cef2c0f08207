"""Link every audit event into a keyed hash chain (see edgate/audit/chain.py).

Events already on file are chained in id order onto chain 0, so an existing database
verifies clean after `edgate migrate`. The append-only triggers of 0002 are dropped while
that happens and created again at the end (on SQLite, some of these schema changes rebuild
the table, which would lose them anyway).
"""

import django.utils.timezone
from django.db import migrations, models

from edgate.audit import chain
from edgate.core.dbtriggers import refuse_trigger

# The same triggers as 0002_append_only.
update_forward, update_backward = refuse_trigger(
    "audit_event_no_update",
    "audit_auditevent",
    event="UPDATE",
    condition="TRUE",
    message="audit events are append-only",
)
delete_forward, delete_backward = refuse_trigger(
    "audit_event_no_delete",
    "audit_auditevent",
    event="DELETE",
    condition="TRUE",
    message="audit events are append-only",
    vendors=("postgresql",),
)


def drop_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    update_backward(apps, schema_editor)
    delete_backward(apps, schema_editor)


def create_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    update_forward(apps, schema_editor)
    delete_forward(apps, schema_editor)


def chain_existing_events(apps, schema_editor):  # type: ignore[no-untyped-def]
    chain.backfill(apps.get_model("audit", "AuditEvent"), schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_event_type_catalogue_in_code")]

    operations = [
        migrations.RunPython(drop_triggers, create_triggers),
        migrations.AlterField(
            model_name="auditevent",
            name="at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.PositiveSmallIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(blank=True, editable=False, max_length=64, default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(editable=False, max_length=64, default=""),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing_events, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="chain",
            field=models.PositiveSmallIntegerField(editable=False),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(editable=False),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(fields=("chain", "seq"), name="audit_event_chain_seq"),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
