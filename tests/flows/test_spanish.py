"""Spanish: the catalogue covers every string, the wizard's four outcomes read in Spanish, and
the language switch keeps the person on the same step with their answers.

Copy is looked up by its translation (`in_spanish`), never pasted: a change of English wording
changes the msgid, and the catalogue tests below say what is left to translate.
"""

from __future__ import annotations

import html
import re

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse
from django.utils import translation
from tools import messages

from edgate.accounts.models import Profile
from edgate.core import conf
from edgate.directory import actions as directory_actions
from edgate.matching.models import MatchCase
from edgate.registration.steps import STEPS, State
from tests.backoffice import build_world, person_with_profile
from tests.factories import CONTACT_POST, CTX, on_file, precreated, security_post, someone, with_profile

from .helpers import landed, location, open_case, post_step, register_new, start, step, url

pytestmark = pytest.mark.django_db


def in_spanish(english: str) -> str:
    with translation.override("es"):
        return translation.gettext(english)


def spanish_client() -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    return client


def text_of(page: str) -> str:
    """The page as a reader sees it: tags gone, entities decoded, spaces collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def english_left_in(page: str) -> list[str]:
    """Catalogue strings of a few words still shown in English on a page rendered in Spanish
    (a string translated at import time, a template rendered outside the active language)."""
    seen = text_of(page)
    catalogue = messages.read_catalog("es")
    return [
        message.id
        for message in catalogue
        if isinstance(message.id, str)
        and "%" not in message.id
        and "<" not in message.id
        and len(message.id.split()) >= 3
        and message.string != message.id
        and message.id in seen
    ]


def assert_spanish(response, title: str) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="es">' in page
    assert html.escape(in_spanish(title)) in page or in_spanish(title) in text_of(page)
    assert english_left_in(page) == []
    return page


# The catalogue ---------------------------------------------------------------------------------


def test_every_string_in_the_source_is_translated_to_spanish() -> None:
    """Extracted from the source as `make messages` does; nothing missing, empty or fuzzy, and
    the same placeholders, format fields and HTML tags on both sides."""
    assert messages.problems("es") == []


def test_the_compiled_catalogue_is_the_committed_one() -> None:
    """What Django reads (the .mo `make install` compiles, fuzzy off) gives every msgstr of the
    .po: a .po changed without compiling fails here, not in front of a person."""
    stale = []
    with translation.override("es"):
        for message in messages.read_catalog("es"):
            if not message.id or isinstance(message.id, tuple):
                continue
            got = (
                translation.pgettext(message.context, message.id)
                if message.context
                else translation.gettext(message.id)
            )
            if got != message.string:
                stale.append(message.id)
    assert stale == [], "django.mo is older than django.po: run `make install` (it compiles them)"


# The four outcomes, in Spanish -----------------------------------------------------------------


def test_no_match_in_spanish_creates_the_profile() -> None:
    client = spanish_client()
    start(client)
    assert_spanish(client.get(url(client, "identity")), STEPS[State.IDENTITY].title)
    who = someone("Valeria", "Quintanilla")
    assert location(post_step(client, "identity", who.identity_post())) == step("contact")
    assert_spanish(client.get(url(client, "contact")), STEPS[State.CONTACT].title)
    assert location(post_step(client, "contact", CONTACT_POST)) == step("security")
    assert_spanish(client.get(url(client, "security")), STEPS[State.SECURITY].title)
    assert location(post_step(client, "security", security_post())) == step("review")
    review = assert_spanish(client.get(url(client, "review")), STEPS[State.REVIEW].title)
    assert html.escape(in_spanish("Create my Profile")) in review
    response = post_step(client, "review", {"confirm": "on"}, follow=True)
    assert landed(response) == step("created")
    page = assert_spanish(response, STEPS[State.CREATED].title)
    assert response.context["profile"].username in page
    assert in_spanish("Your User Name was assigned automatically and cannot be changed.") in text_of(page)


def test_precreated_profile_in_spanish_asks_for_additional_information() -> None:
    who = someone("Inés", "Barrientos")
    profile = precreated(on_file(who))
    client = spanish_client()
    start(client)
    assert location(post_step(client, "identity", who.identity_post())) == step("setup")
    assert_spanish(client.get(url(client, "setup")), STEPS[State.SETUP].title)
    response = post_step(client, "setup", security_post(), follow=True)
    assert landed(response) == step("setup_done")
    page = assert_spanish(response, STEPS[State.SETUP_DONE].title)
    assert profile.username in page


def test_partial_match_in_spanish_gives_the_case_reference() -> None:
    record = someone("Rocío", "Haddad")
    with_profile(on_file(record))
    registrant = record.with_(date_of_birth=record.date_of_birth.replace(year=record.date_of_birth.year - 5))
    client = spanish_client()
    start(client)
    assert location(open_case(client, registrant)) == step("partial")
    page = assert_spanish(client.get(url(client, "partial")), STEPS[State.PARTIAL].title)
    assert in_spanish("Some of your information does not agree with our records") in text_of(page)
    assert MatchCase.objects.get().reference in page


def test_the_check_page_before_a_partial_match_is_in_spanish() -> None:
    record = someone("Rocío", "Salazar")
    with_profile(on_file(record))
    registrant = record.with_(date_of_birth=record.date_of_birth.replace(year=record.date_of_birth.year - 5))
    client = spanish_client()
    start(client)
    assert location(post_step(client, "identity", registrant.identity_post())) == step("check")
    page = assert_spanish(client.get(url(client, "check")), STEPS[State.CHECK].title)
    assert html.escape(in_spanish("Continue without changes")) in page


def test_exact_match_in_spanish_reminds_the_user_name() -> None:
    who = someone("Tomás", "Echeverría")
    profile = with_profile(on_file(who))
    client = spanish_client()
    start(client)
    assert location(post_step(client, "identity", who.identity_post())) == step("exact")
    page = assert_spanish(client.get(url(client, "exact")), STEPS[State.EXACT].title)
    assert profile.username in page
    assert in_spanish("You can change your password after answering your Password Hint Question.") in text_of(
        page
    )


def test_errors_in_spanish_name_the_field_in_spanish() -> None:
    client = spanish_client()
    start(client)
    response = post_step(client, "identity", {}, follow=True)
    page = response.content.decode()
    assert '<html lang="es">' in page
    assert in_spanish("There is a problem") in text_of(page)
    assert english_left_in(page) == []
    with translation.override("en"):
        # Django's own default, in English, must not be what a Spanish reader sees.
        assert translation.gettext("This field is required.") not in text_of(page)


# The language: browser, switch, lang attributes ------------------------------------------------


def test_the_browser_language_is_used_until_the_person_chooses() -> None:
    client = Client()
    page = client.get(reverse("core:home"), headers={"accept-language": "es-US,es;q=0.9,en;q=0.5"})
    assert '<html lang="es">' in page.content.decode()
    english = Client().get(reverse("core:home"), headers={"accept-language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in english.content.decode()


def test_the_switch_names_the_other_language_in_that_language() -> None:
    english = Client().get(reverse("accounts:login")).content.decode()
    assert re.search(r'<button[^>]*value="es"[^>]*lang="es"[^>]*>Español</button>', english)
    spanish = spanish_client().get(reverse("accounts:login")).content.decode()
    assert re.search(r'<button[^>]*value="en"[^>]*lang="en"[^>]*>English</button>', spanish)
    assert f'name="next" value="{reverse("accounts:login")}"' in spanish


def test_switching_language_keeps_the_step_and_the_answers() -> None:
    client = Client()
    start(client)
    who = someone("Marisol", "Ocampo")
    post_step(client, "identity", who.identity_post())
    post_step(client, "contact", CONTACT_POST)
    security = url(client, "security")  # the page's address, with its flow
    page3 = client.get(security).content.decode()
    assert '<html lang="en">' in page3
    # The switch, as the header's form posts it, from page 3: `next` is the page's own address.
    switch_next = html.unescape(re.search(r'name="next" value="([^"]*)"', page3).group(1))
    assert switch_next == security
    response = client.post(reverse("core:set_language"), {"language": "es", "next": switch_next})
    assert response.status_code == 302 and response["Location"] == security
    assert_spanish(client.get(url(client, "security")), STEPS[State.SECURITY].title)
    # Page 2's answers are still there, now under Spanish labels.
    contact = assert_spanish(client.get(url(client, "contact")), STEPS[State.CONTACT].title)
    assert CONTACT_POST["email"] in contact and in_spanish("Email address") in contact
    # And the registration finishes with them.
    post_step(client, "security", security_post())
    response = post_step(client, "review", {"confirm": "on"}, follow=True)
    assert landed(response) == step("created")
    created = Profile.objects.get(username=response.context["profile"].username)
    assert created.person.email == CONTACT_POST["email"]


def test_switching_back_to_english() -> None:
    client = spanish_client()
    username = register_new(client, someone("Julián", "Arroyo"))
    created = url(client, "created")
    response = client.post(reverse("core:set_language"), {"language": "en", "next": created})
    assert response["Location"] == created
    page = client.get(url(client, "created")).content.decode()
    assert '<html lang="en">' in page and username in page


def test_a_switch_to_another_site_goes_nowhere_else() -> None:
    response = Client().post(
        reverse("core:set_language"), {"language": "es", "next": "https://elsewhere.example/"}
    )
    assert response.status_code == 302 and "elsewhere.example" not in response["Location"]


def test_the_agency_is_named_in_spanish_on_a_spanish_page() -> None:
    """The banner, the footer and the running text of a Spanish page name the agency in Spanish
    (AGENCY_NAME_TRANSLATIONS; the default name comes with its own), not in English."""
    spanish_name = html.escape(conf.get().agency_name_in("es") or "")
    assert spanish_name == "Departamento de Educación del Estado"
    spanish = spanish_client().get(reverse("core:home")).content.decode()
    banner = html.escape(in_spanish("An official website of the %(agency_name)s") % {"agency_name": "X"})
    assert banner.replace("X", spanish_name) in spanish
    footer = spanish.split('<footer class="usa-footer')[1]
    assert spanish_name in footer
    intro = spanish.split('<p class="usa-intro">')[1].split("</p>")[0]
    assert spanish_name in intro
    assert conf.get().agency_name not in spanish
    english = Client().get(reverse("core:home")).content.decode()
    assert spanish_name not in english and english.count(conf.get().agency_name) >= 3


def test_a_name_with_no_spanish_keeps_its_own_language(settings: object) -> None:
    """A deployment that renames the agency without giving its Spanish: inside Spanish running
    text the English name carries lang="en", so a screen reader pronounces it as written."""
    settings.EDGATE = {  # type: ignore[attr-defined]
        **settings.EDGATE,  # type: ignore[attr-defined]
        "AGENCY_NAME": "Board of Learning",
        "AGENCY_NAME_TRANSLATIONS": {"es": ""},
    }
    conf.reset()
    spanish = spanish_client().get(reverse("core:home")).content.decode()
    banner = html.escape(in_spanish("An official website of the %(agency_name)s") % {"agency_name": "X"})
    assert banner.replace("X", '<span lang="en">Board of Learning</span>') in spanish
    english = Client().get(reverse("core:home")).content.decode()
    assert '<span lang="en">Board of Learning</span>' not in english and "Board of Learning" in english


def test_an_agency_name_for_a_language_the_portal_does_not_have_stops_start_up(settings: object) -> None:
    settings.EDGATE = {**settings.EDGATE, "AGENCY_NAME_TRANSLATIONS": {"fr": "Ministère"}}  # type: ignore[attr-defined]
    conf.reset()
    with pytest.raises(ImproperlyConfigured, match="AGENCY_NAME_TRANSLATIONS"):
        conf.get()


def test_organization_and_application_names_keep_their_own_language() -> None:
    """Names of organizations, applications and roles are written in English: on a Spanish page
    they carry lang="en" too (My applications here; the partial page and the sign-in consent
    page use the same filter)."""
    world = build_world()
    person, profile = person_with_profile("Lucía", "Ortega")
    entry = directory_actions.do_add_staff(
        person=person, organization=world.school_a1, role_title="Teacher", ctx=CTX
    )
    role = world.role("MDCS", "submitter")
    directory_actions.do_grant_access(
        profile=profile, role=role, organization=world.school_a1, staff_entry=entry, ctx=CTX
    )
    client = spanish_client()
    client.force_login(profile)
    page = client.get(reverse("directory:applications")).content.decode()
    app = html.escape(role.application.name)
    assert f'<h2 class="usa-card__heading"><span lang="en">{app}</span></h2>' in page
    # A role without a Spanish name (AppRole.name_es) is its English one, marked; so is the school.
    school = html.escape(world.school_a1.name)
    assert (
        f'<li><span lang="en">{html.escape(role.name)}</span> — <span lang="en">{school}</span></li>' in page
    )
    english = Client()
    english.force_login(profile)
    assert '<span lang="en">' not in english.get(reverse("directory:applications")).content.decode()


def test_a_signed_in_persons_pages_and_the_public_pages_in_spanish() -> None:
    client = spanish_client()
    public = [
        reverse("core:home"),
        reverse("core:privacy"),
        reverse("accounts:login"),
        reverse("registration:case_status"),
    ]
    for address in public:
        assert_spanish(client.get(address, follow=True), "Create a Profile")
    recovery = client.get(reverse("recovery:start"), follow=True)
    assert_spanish(recovery, "Reset your password")
    client.force_login(with_profile(on_file(someone("Lucía", "Benavides"))))
    for address, title in (
        (reverse("directory:applications"), "My applications"),
        (reverse("accounts:profile"), "My Profile"),
        (reverse("accounts:change_password"), "Change my password"),
        (reverse("accounts:change_hint"), "Change my Password Hint Question and Answer"),
        (reverse("sso:connected"), "Connected applications"),
    ):
        assert_spanish(client.get(address), title)


def test_a_missing_page_in_spanish() -> None:
    response = spanish_client().get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="es">' in page and in_spanish("Page not found") in text_of(page)
    assert english_left_in(page) == []


def test_the_language_cookie_is_http_only_and_same_site() -> None:
    response = Client().post(reverse("core:set_language"), {"language": "es", "next": "/"})
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "es" and cookie["httponly"] and cookie["samesite"] == "Lax"
    from edgate.settings import base

    assert base.LANGUAGE_COOKIE_SECURE  # off only in the development and test settings


def test_errors_shown_after_a_refusal_follow_a_language_switch() -> None:
    """A refused page 1 in English, then Español from the header: the page's errors are Spanish
    (they were kept in every language when refused), and back in English after switching back."""
    from django.utils import translation

    from tests.flows.helpers import post_step, start
    from tests.flows.helpers import url as step_url

    client = Client()
    start(client)
    refused = post_step(client, "identity", {}, follow=True)
    with translation.override("en"):
        english = translation.gettext("Enter your last name.")
    with translation.override("es"):
        spanish = translation.gettext("Enter your last name.")
    assert english != spanish and english in refused.content.decode()
    page = step_url(client, "identity")
    client.post(reverse("core:set_language"), {"language": "es", "next": page})
    body = client.get(page).content.decode()
    assert spanish in body and english not in body
    client.post(reverse("core:set_language"), {"language": "en", "next": page})
    assert english in client.get(page).content.decode()
