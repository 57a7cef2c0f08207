# Blocking on the whole name with a near birth date, or none (docs/matching.md §4, issue 9).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0006_transliterated_name_keys"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                fields=["last_name_key", "first_name_key", "date_of_birth"], name="person_full_name_dob"
            ),
        ),
    ]
