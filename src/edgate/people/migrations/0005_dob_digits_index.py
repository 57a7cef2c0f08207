# Blocking on a date of birth kept as typed digits (docs/matching.md §4, §7): only such records.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0004_data_quality"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                condition=models.Q(("dob_digits", ""), _negated=True),
                fields=["dob_digits"],
                name="person_dob_digits",
            ),
        ),
    ]
