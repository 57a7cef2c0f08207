"""sso.0005 left the code before it failing during a rolling upgrade (docs/deploy.md: the
database is migrated while the old nodes still run): their INSERT into sso_tokenfamily names no
`amr` (NOT NULL, no database default), and their exchange of a code deletes its Grant without
knowing of CodeSignIn (a foreign key without ON DELETE CASCADE fails that exchange at commit).
`amr` gets a database default; CodeSignIn.grant keeps no constraint in the database (a row left
without its code is removed by `edgate cleanup`, sso/families.py purge_orphaned_sign_ins)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sso", "0005_code_sign_in"),
        migrations.swappable_dependency(settings.OAUTH2_PROVIDER_GRANT_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="codesignin",
            name="grant",
            field=models.OneToOneField(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.OAUTH2_PROVIDER_GRANT_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="tokenfamily",
            name="amr",
            field=models.CharField(blank=True, db_default="", default="", max_length=40),
        ),
    ]
