from django.db import migrations

from edgate.core.dbtriggers import refuse_trigger

update_forward, update_backward = refuse_trigger(
    "audit_event_no_update",
    "audit_auditevent",
    event="UPDATE",
    condition="TRUE",
    message="audit events are append-only",
)
# PostgreSQL only: Django's test flush on SQLite uses DELETE (PostgreSQL uses TRUNCATE,
# which row triggers do not see). SQLite is the try-it-out database; the model and
# queryset refuse deletes there.
delete_forward, delete_backward = refuse_trigger(
    "audit_event_no_delete",
    "audit_auditevent",
    event="DELETE",
    condition="TRUE",
    message="audit events are append-only",
    vendors=("postgresql",),
)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [
        migrations.RunPython(update_forward, update_backward),
        migrations.RunPython(delete_forward, delete_backward),
    ]
