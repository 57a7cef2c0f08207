from django.db import migrations

import edgate.audit.models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_person_updated"),
    ]

    # Only the migration state changes (the choices leave it): nothing in the database does.
    # A database operation here would make SQLite rebuild the table and drop its
    # append-only trigger.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="event_type",
                    field=edgate.audit.models.EventTypeField(db_index=True, max_length=64),
                ),
            ]
        )
    ]
