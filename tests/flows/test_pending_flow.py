"""Page 1 of a registration writes nothing when it is shown: it carries a pending id (made and
signed by the site) under which its first submission makes the flow's row. The flow's
properties stay: one session owns it, Back finds it, a forged or stale id makes nothing."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.cache.utils import make_template_fragment_key
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from edgate.accounts.models import Status
from edgate.audit.models import AuditEvent, EventType
from edgate.core import crypto
from edgate.core import flow as engine
from edgate.core.flowview import flow_adopted
from edgate.core.models import Flow
from edgate.registration import steps as registration_steps
from tests.factories import Someone, on_file, precreated, security_post, someone

from .helpers import landed, location, step

pytestmark = pytest.mark.django_db


def open_page1(client: Client) -> tuple[str, str]:
    """Create a Profile, as a person clicks it: the page 1 address and the flow id it carries."""
    response = client.get(reverse("registration:start"))
    assert response.status_code == 303
    address = response["Location"]
    return address, address.split("?flow=")[1]


def test_showing_page_one_writes_no_flow_and_no_session() -> None:
    for _ in range(3):
        client = Client()
        address, pending = open_page1(client)
        page = client.get(address)
        assert page.status_code == 200 and page.context["flow_id"] == pending
        assert f'name="flow" value="{pending}"' in page.content.decode()
        direct = Client().get(step("identity"))  # page 1 opened directly: an id of its own
        assert direct.status_code == 200 and engine.is_pending(direct.context["flow_id"])
    assert Flow.objects.count() == 0 and Session.objects.count() == 0


def test_showing_page_one_encrypts_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its flow has no data yet: nothing to encrypt until the first submission saves the row."""
    encrypted = []
    real = crypto.encrypt_json
    monkeypatch.setattr(crypto, "encrypt_json", lambda value: encrypted.append(value) or real(value))
    client = Client()
    address, pending = open_page1(client)
    assert client.get(address).status_code == 200
    assert encrypted == []
    client.post(address, {"flow": pending, **someone("Oona", "Brandvold").identity_post()})
    assert encrypted and crypto.decrypt_json(Flow.objects.get(pk=pending).data_ciphertext)


def test_the_first_post_makes_the_row_under_the_pages_id_and_back_finds_it() -> None:
    client = Client()
    address, pending = open_page1(client)
    client.get(address)
    who = someone("Noor", "Halvorsen")
    response = client.post(address, {"flow": pending, **who.identity_post()})
    assert location(response) == step("contact")
    flow = Flow.objects.get()
    assert flow.pk == pending and flow.state == "contact"
    assert client.session["edgate.flows.registration"] == [pending]
    # Back to page 1 (the address the tab holds): the flow's own page, its answers kept.
    back = client.get(address)
    assert back.status_code == 200 and 'value="Halvorsen"' in back.content.decode()
    assert who.ssn not in back.content.decode()
    # The same page posted twice (a double click): no second row, back where the flow is.
    again = client.post(address, {"flow": pending, **who.identity_post()}, follow=True)
    assert landed(again) == step("contact") and Flow.objects.count() == 1


def test_a_pending_id_is_useless_to_another_browser() -> None:
    owner = Client()
    address, pending = open_page1(owner)
    owner.post(address, {"flow": pending, **someone("Lior", "Abernethy").identity_post()})
    other = Client()
    # Posted by another browser: nothing is made or changed; it is sent to a page 1 of its own.
    response = other.post(address, {"flow": pending, **someone("Mara", "Quist").identity_post()}, follow=True)
    assert landed(response) == step("identity")
    assert response.context["flow_id"] != pending and "Abernethy" not in response.content.decode()
    assert Flow.objects.get().state == "contact" and "Quist" not in str(Flow.objects.get().data)
    # Opened by another browser that has a session: a new page 1, nothing of the owner's.
    page = other.get(address, follow=True)
    assert page.context["flow_id"] != pending and "Abernethy" not in page.content.decode()
    assert Flow.objects.count() == 1


def test_a_double_click_before_the_browser_has_a_session_goes_on_to_page_two() -> None:
    """Page 1 posted twice (a double click) by a browser with no session yet: each request
    makes a session of its own; the first makes the row, and the browser keeps only the second
    answer. That answer used to be a blank page 1 under a new id (what was typed, lost)."""
    browser = Client()
    address, pending = open_page1(browser)
    browser.get(address)  # the form, and the CSRF cookie that goes with it
    who = someone("Oona", "Castellan")
    first_click = Client()
    first_click.cookies = copy.deepcopy(browser.cookies)  # its answer never reaches the browser
    assert location(first_click.post(address, {"flow": pending, **who.identity_post()})) == step("contact")
    second = browser.post(address, {"flow": pending, **who.identity_post()}, follow=True)
    assert landed(second) == step("contact") and second.context["flow_id"] == pending
    assert Flow.objects.count() == 1
    assert browser.get(address).status_code == 200  # Back to page 1: its answers kept
    assert 'value="Castellan"' in browser.get(address).content.decode()
    # Another browser given the address, with a form (and a CSRF cookie) of its own: nothing.
    other = Client()
    other.get(address, follow=True)
    taken = other.post(address, {"flow": pending, **someone("Pia", "Lorne").identity_post()}, follow=True)
    assert landed(taken) == step("identity") and taken.context["flow_id"] != pending
    assert "Castellan" not in taken.content.decode() and pending not in other.session.get(
        "edgate.flows.registration", []
    )
    assert [e.detail["flow"] for e in events(EventType.FLOW_ADOPTED)] == ["registration"]
    assert refused_adoptions() == ["used"]  # handed over already: to the second click


def events(kind: EventType) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=kind).order_by("id"))


def refused_adoptions() -> list[str]:
    """Why each refused adoption was refused, in order (security.flow_refused "adoption_refused")."""
    return [
        e.detail["why"] for e in events(EventType.FLOW_REFUSED) if e.detail["reason"] == "adoption_refused"
    ]


def first_click(address: str, pending: str, who: Someone, *, ip: str = "192.0.2.1") -> Client:
    """A browser shown page 1 that posts it once, with the CSRF cookie it was given; returned
    with that cookie and no session (as its second click would come, if the first's answer never
    reached it)."""
    return clicked_once(address, pending, who, ip=ip)[0]


def clicked_once(address: str, pending: str, who: Someone, *, ip: str = "192.0.2.1") -> tuple[Client, Client]:
    """`first_click`'s browser, and the session its first click made (whose answer the browser
    never kept)."""
    browser = Client(REMOTE_ADDR=ip)
    browser.get(address)
    clicked = Client(REMOTE_ADDR=ip)
    clicked.cookies = copy.deepcopy(browser.cookies)
    clicked.post(address, {"flow": pending, **who.identity_post()})
    return browser, clicked


def test_the_same_csrf_cookie_minutes_later_from_elsewhere_takes_no_flow() -> None:
    """review1 H1: a copy of a person's CSRF cookie (a shared computer; Django accepts a
    cookie a client chose, and keeps it a year) took over their flow 20 minutes later, at the
    set-up of their pre-created Profile, and set its password."""
    who = someone("Vera", "Takeover")
    profile = precreated(on_file(who))
    address, pending = open_page1(Client())
    victim = first_click(address, pending, who)
    assert Flow.objects.get().state == "setup"
    csrf = victim.cookies[settings.CSRF_COOKIE_NAME].value
    for later, ip, why in [(20 * 60, "198.51.100.66", "other_address"), (20 * 60, "192.0.2.1", "too_old")]:
        with time_machine.travel(timezone.now() + timedelta(seconds=later)):
            attacker = Client(REMOTE_ADDR=ip)
            attacker.cookies[settings.CSRF_COOKIE_NAME] = csrf
            taken = attacker.post(
                address, {"flow": pending, **someone("Mal", "Ory").identity_post()}, follow=True
            )
            assert landed(taken) == step("identity") and taken.context["flow_id"] != pending
            assert pending not in attacker.session.get("edgate.flows.registration", [])
            done = attacker.post(f"{step('setup')}?flow={pending}", {"flow": pending, **security_post()})
            assert location(done) != step("setup_done")
            assert refused_adoptions()[-1] == why
    profile.refresh_from_db()
    assert profile.status != Status.ACTIVE and not events(EventType.FLOW_ADOPTED)
    assert Flow.objects.get().state == "setup"


def test_a_first_click_that_reached_an_outcome_is_not_handed_to_a_second() -> None:
    """Within seconds, same browser and address: still not handed over once the flow is past
    the steps from which page 1 is submitted again (flow.adoptable), here the set-up of a
    pre-created Profile: the second click's answers would not be checked for it."""
    who = someone("Ines", "Quickfinger")
    precreated(on_file(who))
    address, pending = open_page1(Client())
    browser = first_click(address, pending, who)
    second = browser.post(address, {"flow": pending, **who.identity_post()}, follow=True)
    assert landed(second) == step("identity") and second.context["flow_id"] != pending
    assert refused_adoptions()[-1] == "too_far"
    assert not events(EventType.FLOW_ADOPTED)


def test_a_flow_is_handed_over_once_and_only_from_the_same_address() -> None:
    who = someone("Odile", "Twice")
    address, pending = open_page1(Client())
    browser = first_click(address, pending, who)
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    elsewhere.cookies = copy.deepcopy(browser.cookies)  # the same cookie, another address
    refused = elsewhere.post(address, {"flow": pending, **who.identity_post()}, follow=True)
    assert landed(refused) == step("identity") and refused.context["flow_id"] != pending
    third = Client(REMOTE_ADDR="192.0.2.1")
    third.cookies = copy.deepcopy(browser.cookies)
    second = browser.post(address, {"flow": pending, **who.identity_post()}, follow=True)
    assert landed(second) == step("contact") and second.context["flow_id"] == pending
    again = third.post(address, {"flow": pending, **who.identity_post()}, follow=True)
    assert landed(again) == step("identity") and again.context["flow_id"] != pending
    assert refused_adoptions() == ["other_address", "used"]
    assert len(events(EventType.FLOW_ADOPTED)) == 1 and Flow.objects.get().submission == ""


def test_a_copy_of_the_cookies_within_seconds_from_the_same_address_takes_no_flow() -> None:
    """review2 H1: within ADOPT_WITHIN, from the same address (one network), with a copy of the
    person's CSRF cookie and page 1's id, a POST of page 1 with nothing typed was handed the
    flow; the person went on through pages 2 and 3, and the copy's session read the review
    page (name, date of birth, contact) and posted a password of its own. Only the same
    submission sent again — a double click — is handed the flow now."""
    who = someone("Wren", "Samenet")
    address, pending = open_page1(Client())
    victim = first_click(address, pending, who)
    for body in ({"flow": pending}, {"flow": pending, **someone("Mal", "Ory").identity_post()}):
        copy_of = Client(REMOTE_ADDR="192.0.2.1")
        copy_of.cookies[settings.CSRF_COOKIE_NAME] = victim.cookies[settings.CSRF_COOKIE_NAME].value
        taken = copy_of.post(address, body, follow=True)
        assert landed(taken) == step("identity") and taken.context["flow_id"] != pending
        review = copy_of.get(f"{step('review')}?flow={pending}").content.decode()
        assert "did not keep your place" in review and "Samenet" not in review
        assert pending not in copy_of.session.get("edgate.flows.registration", [])
    assert refused_adoptions() == ["other_submission"]  # one event a minute per address and reason
    second = victim.post(address, {"flow": pending, **who.identity_post()}, follow=True)
    assert landed(second) == step("contact")  # the person's own double click still goes on
    assert len(events(EventType.FLOW_ADOPTED)) == 1


def test_another_submission_of_page_one_is_not_handed_the_flow() -> None:
    """The same browser's cookie and address, within seconds, but not the same form sent again
    (other answers, or a page 1 of its own): refused as "other_submission", and the flow stays
    with the session that made it."""
    who = someone("Tamsin", "Firstclick")
    address, pending = open_page1(Client())
    browser, clicked = clicked_once(address, pending, who)
    assert Flow.objects.get(pk=pending).state == "contact"
    other = browser.post(address, {"flow": pending, **who.identity_post(), "middle_name": "Q"}, follow=True)
    assert landed(other) == step("identity") and other.context["flow_id"] != pending
    assert refused_adoptions() == ["other_submission"] and not events(EventType.FLOW_ADOPTED)
    assert clicked.get(f"{step('contact')}?flow={pending}").status_code == 200


def test_the_hand_over_is_exclusive() -> None:
    """Once the second click is handed the flow, the first click's session (whose answer the
    browser dropped) no longer finds it: one session owns a handed-over flow, never two."""
    who = someone("Ulla", "Onlyone")
    address, pending = open_page1(Client())
    browser, clicked = clicked_once(address, pending, who)
    assert clicked.get(f"{step('contact')}?flow={pending}").status_code == 200
    second = browser.post(address, {"flow": pending, **who.identity_post()}, follow=True)
    assert landed(second) == step("contact") and second.context["flow_id"] == pending
    assert clicked.get(f"{step('contact')}?flow={pending}").status_code != 200
    assert browser.get(f"{step('contact')}?flow={pending}").status_code == 200


def shown_messages(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in response.context["messages"]]


def test_the_session_that_lost_the_flow_is_told_it_goes_on_elsewhere() -> None:
    """The first click's session, should its answer reach the browser after all, no longer has
    the flow (handed to the second click's): its next page said the registration had expired.
    It says where the registration is (this browser's other tab or window), or to start again;
    so does a third click of page 1. Nothing about the person or a record; not to another
    browser."""
    who = someone("Wanda", "Twiceclicked")
    address, pending = open_page1(Client())
    browser, clicked = clicked_once(address, pending, who)
    third = Client(REMOTE_ADDR="192.0.2.1")
    third.cookies = copy.deepcopy(browser.cookies)  # the same browser, no session yet
    second = browser.post(address, {"flow": pending, **who.identity_post()}, follow=True)
    assert landed(second) == step("contact")
    lost = clicked.get(f"{step('contact')}?flow={pending}", follow=True)
    assert landed(lost) == step("identity") and lost.context["flow_id"] != pending
    assert shown_messages(lost) == [str(registration_steps.ELSEWHERE)]
    assert str(registration_steps.EXPIRED) not in lost.content.decode()
    assert who.last_name not in lost.content.decode()
    again = third.post(address, {"flow": pending, **who.identity_post()}, follow=True)
    assert landed(again) == step("identity") and again.context["flow_id"] != pending
    assert shown_messages(again) == [str(registration_steps.ELSEWHERE)]
    assert refused_adoptions() == ["used"]
    # Another browser given the address: a page 1 of its own, and not a word of this.
    other = Client(REMOTE_ADDR="192.0.2.1")
    other.get(address, follow=True)
    taken = other.post(address, {"flow": pending, **who.identity_post()}, follow=True)
    assert landed(taken) == step("identity") and shown_messages(taken) == []


def test_handed_over_while_the_first_click_works_then_taken_to_an_outcome_lets_it_go() -> None:
    """The second click takes the row while the first is still at work (the flow at page 1);
    the first then takes it to the set-up page. The second's own submission of page 1 is then
    not run (the flow moved on): its session lets the row go rather than follow it there."""
    who = someone("Pavel", "Midflight")
    precreated(on_file(who))
    address, pending = open_page1(Client())
    browser = first_click(address, pending, who)
    # Caught while the first click is still at work: the row made, still at page 1.
    Flow.objects.filter(pk=pending).update(state="identity")

    def first_click_finishes(sender: object, *, flow_id: str, **kwargs: object) -> None:
        Flow.objects.filter(pk=flow_id).update(state="setup")

    flow_adopted.connect(first_click_finishes, dispatch_uid="test-first-click-finishes")
    try:
        second = browser.post(address, {"flow": pending, **who.identity_post()}, follow=True)
    finally:
        flow_adopted.disconnect(dispatch_uid="test-first-click-finishes")
    assert landed(second) == step("identity") and second.context["flow_id"] != pending
    assert pending not in browser.session.get("edgate.flows.registration", [])
    assert refused_adoptions()[-1] == "too_far"


@pytest.mark.parametrize("kind", ["forged", "unsigned", "stale"])
def test_a_forged_or_stale_pending_id_makes_nothing(kind: str) -> None:
    client = Client()
    _address, pending = open_page1(client)
    token, issued, mac = pending.split(".")
    wanted = {
        "forged": f"{token}.{issued}.{mac[:-2]}AA",
        "unsigned": engine.pending_id().split(".")[0],
    }.get(kind, pending)
    posted_at = timezone.now() + (engine.ttl() + timedelta(minutes=1) if kind == "stale" else timedelta(0))
    with time_machine.travel(posted_at):
        response = client.post(
            f"{step('identity')}?flow={wanted}", {"flow": wanted, **someone().identity_post()}
        )
        assert response.status_code == 303 and location(response) == step("identity")
        assert Flow.objects.count() == 0
        page = client.get(response["Location"])  # a page 1 of its own, said to be a new start
        assert page.context["flow_id"] != wanted and "expired" in page.content.decode()
        assert not engine.is_pending(wanted)


def test_page_one_fields_are_kept_rendered_for_first_visitors_only() -> None:
    caches["fragments"].clear()

    def fields(response) -> str:  # type: ignore[no-untyped-def]
        html = response.content.decode()
        return html[html.index('name="flow"') :].split("</form>")[0].split(">", 1)[1]

    first = Client().get(step("identity"))
    assert caches["fragments"].get(make_template_fragment_key("registration_identity_fields", ["en"]))
    again = Client().get(step("identity"))
    assert fields(again) == fields(first) and 'name="last_name"' in fields(again)
    spanish = Client(HTTP_ACCEPT_LANGUAGE="es").get(step("identity"))
    assert fields(spanish) != fields(first) and "Apellido" in fields(spanish)
    # A refused page 1 shows what was typed and the errors: its own rendering, not the kept one.
    client = Client()
    address, pending = open_page1(client)
    typed = someone("Wren", "Okonkwo").identity_post() | {"first_name": ""}
    refused = client.get(client.post(address, {"flow": pending, **typed})["Location"])
    assert 'value="Okonkwo"' in refused.content.decode()
    assert "usa-input--error" in fields(refused) and fields(refused) != fields(first)
    assert "Okonkwo" not in fields(Client().get(step("identity")))


def test_an_ended_id_made_again_by_another_browser_is_not_the_old_session_s() -> None:
    """A session can still list an id whose row is gone: a concurrent request of its own that
    loaded the session before "Start over" saved it writes the old copy back (sessions are saved
    whole, last write wins). If another browser is then given that page 1 (a link) and makes
    the row again, the first session must not find that person's flow."""
    attacker = Client()
    address, pending = open_page1(attacker)
    attacker.post(address, {"flow": pending, **someone("Ada", "Mallory").identity_post()})
    assert Flow.objects.filter(pk=pending).exists()
    stale = dict(attacker.session.items())  # the copy a concurrent request holds
    attacker.post(reverse("registration:restart"), {"flow": pending})
    assert not Flow.objects.filter(pk=pending).exists()
    session = attacker.session
    session.update(stale)  # ... written back after "Start over"
    session.save()
    assert pending in attacker.session["edgate.flows.registration"]

    victim = Client()
    victim.get(address)
    made = victim.post(address, {"flow": pending, **someone("Vera", "Quintrell").identity_post()})
    assert location(made) == step("contact")

    seen = attacker.get(address)
    assert "Quintrell" not in seen.content.decode()
    assert pending not in attacker.session["edgate.flows.registration"]
    # The victim's flow goes on, untouched.
    mine = victim.get(address)
    assert mine.status_code == 200 and 'value="Quintrell"' in mine.content.decode()
