"""The models and the migrations agree: a model change without its migration fails the run."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_missing_migrations() -> None:
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # makemigrations --check exits 1 when a migration is missing
        pytest.fail(f"models changed without a migration:\n{out.getvalue()}\n(exit {exc.code})")


@pytest.mark.django_db(transaction=True)
def test_blocking_keys_of_names_outside_ascii_are_recomputed() -> None:
    """people.0006: keys stored under the old normalization (other scripts kept as they were,
    Ø kept) are rewritten in the transliterated form a registrant's query now uses."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("people", "0005_dob_digits_index")])
    Person = executor.loader.project_state([("people", "0005_dob_digits_index")]).apps.get_model(
        "people", "Person"
    )
    old = dict(last_name_key="петрова", last_name_phonetic="", first_name_key="øyvind")
    cyrillic = Person.objects.create(first_name="Øyvind", last_name="Петрова", state_id="90000001", **old)
    ascii_only = Person.objects.create(
        first_name="Ann", last_name="Lee", state_id="90000002", last_name_key="stale", first_name_key="ann"
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    cyrillic.refresh_from_db()
    ascii_only.refresh_from_db()
    assert (cyrillic.first_name_key, cyrillic.last_name_key) == ("oyvind", "petrova")
    assert cyrillic.last_name_phonetic != ""
    assert ascii_only.last_name_key == "stale"  # names in ASCII are not touched


@pytest.mark.django_db(transaction=True)
def test_live_token_families_are_dated_from_their_oldest_rotation() -> None:
    """sso.0002: a family alive at the upgrade ends the usual time after its first token (the
    code exchange), not after its newest rotation, its only unrevoked row."""
    import uuid
    from datetime import timedelta

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.utils import timezone
    from oauth2_provider.models import Application as Client
    from oauth2_provider.models import RefreshToken

    from edgate.core import conf
    from edgate.sso.models import TokenFamily

    from .factories import on_file, someone, with_profile

    executor = MigrationExecutor(connection)
    executor.migrate([("sso", "0001_initial")])
    profile = with_profile(on_file(someone()))
    client = Client.objects.create(
        name="Old", client_type="confidential", authorization_grant_type="authorization-code"
    )
    family, now = uuid.uuid4(), timezone.now()
    first = RefreshToken.objects.create(
        user=profile, application=client, token="r1", token_family=family, revoked=now
    )
    RefreshToken.objects.filter(pk=first.pk).update(created=now - timedelta(hours=6))
    RefreshToken.objects.create(user=profile, application=client, token="r2", token_family=family)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    row = TokenFamily.objects.get(family=family)
    assert row.authorized_at == now - timedelta(hours=6)
    assert row.ends_at == row.authorized_at + conf.get().oidc_refresh_max


@pytest.mark.django_db(transaction=True)
def test_a_node_on_the_code_before_the_flow_browser_columns_can_still_make_flows() -> None:
    """core.0002 and 0003 add columns that a node still on the previous code does not know (during a
    rolling upgrade the database is migrated first, the nodes reloaded after: docs/deploy.md):
    its INSERT, naming only the columns it knows, must not fail. A database default does it."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from edgate.core.models import Flow

    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_flow (id, kind, state, data_ciphertext, attempts, expires_at, created_at,"
            " updated_at) VALUES (%s, 'registration', 'identity', %s, 0, %s, %s, %s)",
            ["an-old-nodes-flow", b"", now + timedelta(minutes=30), now, now],
        )
    row = Flow.objects.get(pk="an-old-nodes-flow")
    assert (row.browser, row.address, row.submission) == ("", "", "")
    Flow.objects.filter(pk=row.pk).delete()


@pytest.mark.django_db(transaction=True)
def test_a_node_on_the_code_before_spanish_role_names_can_still_add_a_role() -> None:
    """directory.0003 added AppRole.name_es; 0004 gives it a database default, so an INSERT
    from a node still on the previous code (it names only the columns it knows) does not fail
    during a rolling upgrade (docs/deploy.md)."""
    from django.db import connection

    from edgate.directory.models import Application, AppRole

    app = Application.objects.create(code="oldnode", name="Old node's application")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO directory_approle (application_id, code, name) VALUES (%s, 'viewer', 'Viewer')",
            [app.pk],
        )
    role = AppRole.objects.get(application=app, code="viewer")
    assert role.name_es == "" and role.shown_name == "Viewer"
    app.delete()


@pytest.mark.django_db(transaction=True)
def test_a_node_on_the_code_before_role_kinds_can_still_add_a_role_granted_anywhere() -> None:
    """directory.0005 added AppRole.org_types with a database default (an empty list: any kind),
    so a node still on the previous code can add a role during a rolling upgrade, and the role
    is granted at every kind of organization, as every role was before."""
    from django.db import connection

    from edgate.directory.models import Application, AppRole, Organization, OrgType

    app = Application.objects.create(code="oldnode", name="Old node's application")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO directory_approle (application_id, code, name, name_es)"
            " VALUES (%s, 'viewer', 'Viewer', '')",
            [app.pk],
        )
    role = AppRole.objects.get(application=app, code="viewer")
    assert role.org_types == []
    assert all(role.fits(Organization(org_type=kind)) for kind in OrgType.values)
    app.delete()


# The tables a bulk import writes: what each row pays for (docs/matching.md §7).
IMPORT_TABLES = ("people_person", "audit_auditevent", "accounts_profile", "importer_importedrow")


def _indexes() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [list(IMPORT_TABLES)]
        )
        return dict(cursor.fetchall())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_import_tables_carry_no_index_that_no_query_uses() -> None:
    """audit.0006 and people.0008: Django's `varchar_pattern_ops` copies of the SSN hash, state
    ID, email, phone, event type and target id indexes, and the target id's own index (every
    query of a target's events gives its type too), are dropped; every index a query uses stays,
    the deliberate prefix indexes (customer service's name search, User Name allocation)
    among them. Both migrations reverse."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    def pattern_ops(indexes: dict[str, str]) -> set[str]:
        return {name for name, definition in indexes.items() if "pattern_ops" in definition}

    kept = {
        "person_first_key_prefix",
        "person_last_key_prefix",
        "person_former_key_prefix",
        "accounts_profile_username_prefix",
    }
    now = _indexes()
    assert pattern_ops(now) == kept
    target_id_alone = [d for d in now.values() if d.endswith("(target_id)")]
    assert target_id_alone == []
    assert any("(target_type, target_id, at)" in d for d in now.values())
    assert any(d.endswith("(event_type)") for d in now.values())
    for column in ("email", "phone"):  # matching's candidates: `email = %s`, `phone = %s`
        assert any(d.endswith(f"people_person USING btree ({column})") for d in now.values())

    executor = MigrationExecutor(connection)
    executor.migrate([("audit", "0005_hash_chain"), ("people", "0007_full_name_dob_index")])
    before = _indexes()
    assert len(pattern_ops(before) - kept) == 6 and [d for d in before.values() if d.endswith("(target_id)")]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert _indexes() == now


def _dropbox_client():  # type: ignore[no-untyped-def]
    from edgate.sso import actions as sso

    from .factories import CTX
    from .oidc import REDIRECT, signing_key, world

    signing_key()
    w = world()
    reg = sso.do_register_client(
        name="Dropbox", application=w.dropbox, redirect_uris=[REDIRECT], public=True, ctx=CTX
    )
    return w, reg.client


@pytest.mark.django_db(transaction=True)
def test_an_old_node_can_still_begin_a_token_family() -> None:
    """sso.0005 added TokenFamily.amr and auth_time: a node still on the code before them
    exchanges a code with an INSERT naming neither (docs/deploy.md's rolling upgrade). It must
    not fail (it was a NOT NULL column without a database default: every exchange a 500)."""
    import uuid
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from edgate.sso.models import TokenFamily

    from .factories import on_file, someone, with_profile

    _, client = _dropbox_client()
    who = with_profile(on_file(someone()))
    now, family = timezone.now(), uuid.uuid4()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO sso_tokenfamily (family, client_id, profile_id, code_digest, authorized_at, ends_at)"
            " VALUES (%s, %s, %s, '', %s, %s)",
            [family, client.pk, who.pk, now, now + timedelta(hours=12)],
        )
    row = TokenFamily.objects.get(family=family)
    assert (row.amr, row.auth_time) == ("", None)


@pytest.mark.django_db(transaction=True)
def test_an_old_node_can_still_exchange_a_code_a_new_node_issued() -> None:
    """A new node issued the code (and its CodeSignIn row); a node still on the code before
    sso.0005 exchanges it, deleting the Grant as the library does, not knowing of CodeSignIn.
    The delete must commit (a foreign key in the database failed it: a 500), and `edgate
    cleanup` removes the row left without its code."""
    from io import StringIO

    from django.db import connection

    from edgate.sso.models import CodeSignIn

    from .factories import on_file, someone, with_profile
    from .oidc import authorize, code_of, grant, signed_in_page

    w, client = _dropbox_client()
    who = with_profile(on_file(someone()))
    grant(who, w)
    code = code_of(authorize(signed_in_page(who), client.client_id))
    assert CodeSignIn.objects.count() == 1
    with connection.cursor() as cursor:  # what the old node's grant.delete() sends
        cursor.execute("DELETE FROM oauth2_provider_grant WHERE code = %s", [code])
    out = StringIO()
    call_command("cleanup", stdout=out)
    assert "1 sign-in records of codes already gone" in out.getvalue()
    assert not CodeSignIn.objects.exists()
