"""Blocking keys of names outside ASCII are recomputed: names are now transliterated from any
script (Петрова → petrova, Øyvind → oyvind) rather than having non-Latin letters kept or
dropped, so a registrant typing the same name finds the record by the same keys."""

from django.db import migrations

from edgate.identity import normalize

KEYS = ("last_name_key", "last_name_phonetic", "former_last_name_key", "first_name_key")


def recompute_keys(apps, schema_editor):  # type: ignore[no-untyped-def]
    Person = apps.get_model("people", "Person")
    names = ("pk", "first_name", "last_name", "former_last_name", *KEYS)
    batch = []
    for person in Person.objects.only(*names).iterator(chunk_size=5000):
        if (person.first_name + person.last_name + person.former_last_name).isascii():
            continue
        person.last_name_key = normalize.name_key(person.last_name)
        person.last_name_phonetic = normalize.phonetic(person.last_name)
        person.former_last_name_key = normalize.name_key(person.former_last_name)
        person.first_name_key = normalize.name_key(person.first_name)
        batch.append(person)
        if len(batch) == 5000:
            Person.objects.bulk_update(batch, KEYS)
            batch = []
    Person.objects.bulk_update(batch, KEYS)


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0005_dob_digits_index"),
    ]

    operations = [
        migrations.RunPython(recompute_keys, migrations.RunPython.noop),
    ]
