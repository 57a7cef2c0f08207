from django.db import migrations

from edgate.core.dbtriggers import refuse_trigger

forward, backward = refuse_trigger(
    "accounts_profile_username_immutable",
    "accounts_profile",
    event="UPDATE OF username",
    condition="NEW.username <> OLD.username",
    message="a User Name can never be changed",
)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
