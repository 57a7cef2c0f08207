from django.db import migrations


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    # User Name allocation looks up `lower(username) LIKE 'jsmith%'`; with a non-C collation
    # PostgreSQL can serve a prefix LIKE from an index only with the pattern operator class.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS accounts_profile_username_prefix "
            "ON accounts_profile (lower(username) varchar_pattern_ops)"
        )


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS accounts_profile_username_prefix")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_username_immutable")]
    operations = [migrations.RunPython(create, drop)]
