from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0002_application_spanish_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="approle",
            name="name_es",
            field=models.CharField(blank=True, max_length=80, verbose_name="name (Spanish)"),
        ),
    ]
