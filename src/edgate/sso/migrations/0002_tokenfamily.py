"""TokenFamily: where each refresh-token family came from, and its absolute end.

Families alive when this runs get a row too (begun at their oldest token, ending the usual time
after it), so the rule that a family without a row is refused (fail closed) does not sign
everyone out of every application at the upgrade."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Min

from edgate.core import conf


def rows_for_live_families(apps, schema_editor):  # type: ignore[no-untyped-def]
    RefreshToken = apps.get_model("oauth2_provider", "RefreshToken")
    TokenFamily = apps.get_model("sso", "TokenFamily")
    longest = conf.get().oidc_refresh_max
    # Dated from the family's oldest token, revoked rotations included (its live member is its
    # newest rotation, which would date the family from the last refresh).
    with_a_live_member = RefreshToken.objects.filter(revoked__isnull=True, token_family__isnull=False)
    live = (
        RefreshToken.objects.filter(token_family__in=with_a_live_member.values("token_family"))
        .values("token_family", "application_id", "user_id")
        .annotate(begun=Min("created"))
    )
    for family in live:
        if TokenFamily.objects.filter(family=family["token_family"]).exists():
            continue
        TokenFamily.objects.create(
            family=family["token_family"],
            client_id=family["application_id"],
            profile_id=family["user_id"],
            code_digest="",
            authorized_at=family["begun"],
            ends_at=family["begun"] + longest,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("sso", "0001_initial"),
        ("oauth2_provider", "0022_refreshtoken_token_family_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        migrations.swappable_dependency(settings.OAUTH2_PROVIDER_APPLICATION_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="TokenFamily",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("family", models.UUIDField(unique=True)),
                ("code_digest", models.CharField(blank=True, db_index=True, max_length=64)),
                ("authorized_at", models.DateTimeField()),
                ("ends_at", models.DateTimeField(db_index=True)),
                (
                    "client",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
                    ),
                ),
                (
                    "profile",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.RunPython(rows_for_live_families, migrations.RunPython.noop),
    ]
