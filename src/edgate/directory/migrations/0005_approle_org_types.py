"""AppRole.org_types: the kinds of organization at which a role may be granted.

Every existing role gets an empty list, which means any kind: roles and grants work exactly as
before until a security administrator names kinds in the admin site. The default is in the
database too (`db_default`), so a node still on the previous code can add a role during a rolling
upgrade (docs/deploy.md).
"""

from django.db import migrations, models

import edgate.directory.models


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0004_approle_spanish_name_for_old_nodes"),
    ]

    operations = [
        migrations.AddField(
            model_name="approle",
            name="org_types",
            field=models.JSONField(
                blank=True,
                db_default=[],
                default=list,
                help_text="The kinds of organization where this role may be granted. None ticked: any kind.",
                validators=[edgate.directory.models.known_org_types],
                verbose_name="may be granted at",
            ),
        ),
    ]
