from django.db import migrations, models


class Migration(migrations.Migration):
    """Per-client scopes. Clients registered before may keep asking for all three scopes the
    provider offers (what they could ask for until now); narrow one by registering it again."""

    dependencies = [
        ("sso", "0002_tokenfamily"),
    ]

    operations = [
        migrations.AddField(
            model_name="clientapplication",
            name="scopes",
            field=models.CharField(default="openid profile email", max_length=200),
        ),
    ]
