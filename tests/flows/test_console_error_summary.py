"""Every console form page, refused, opens on its error summary: the first thing in main, above
the console's menu, the heading and the page's words, as the wizard and sign-in pages do (a
screen reader meets the problem at once; on a phone it is at the top of the page). Focus is the
summary's own (autofocus and error-summary.js: tests/browser/test_error_summary.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.backoffice import World, build_world, console_client, district_case, staff_pages

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "src/edgate/backoffice/templates/backoffice"
SUMMARY = re.compile(
    r'\s*<div class="usa-alert usa-alert--error[^"]*edgate-error-summary"[^>]*id="error-summary"'
)


def assert_summary_first(response) -> None:  # type: ignore[no-untyped-def]
    html = response.content.decode()
    assert html.count(' id="error-summary"') == 1, response.request["PATH_INFO"]
    main = html[html.index("<main") :]
    inside = main[main.index(">") + 1 :]
    assert SUMMARY.match(inside), (response.request["PATH_INFO"], inside[:300])
    assert inside.index('id="error-summary"') < inside.index("<h1")
    assert "<title>Error:" in html, response.request["PATH_INFO"]


@pytest.fixture
def world() -> World:
    return build_world()


def test_directory_administrator_pages(world: World) -> None:
    entry = staff_pages(world).entry
    reference = district_case(world)
    da = console_client(world.da_a)
    district, a1 = world.district_a.code, world.school_a1.code
    for name, args, data in [
        ("backoffice:org", [district], {"status": "no-such-status"}),
        ("backoffice:org_activity", [district], {"date_from": "not a date"}),
        ("backoffice:org_add_new", [a1], {}),
        ("backoffice:org_add_known", [a1], {"step": "search"}),
        ("backoffice:org_add_pick", [a1], {"step": "search"}),  # the search form, not `form`
        ("backoffice:org_add_pick", [a1], {"step": "add"}),
        ("backoffice:org_entry", [a1, entry.pk], {"role": ""}),
        ("backoffice:org_edit", [a1, entry.pk], {"role_title": ""}),
        ("backoffice:case_resolve", [reference], {}),
        ("backoffice:case_escalate", [reference], {}),
    ]:
        assert_summary_first(da.post(reverse(name, args=args), data))
    assert_summary_first(da.get(reverse("backoffice:cases"), {"status": "no-such-status"}))


def test_customer_service_pages(world: World) -> None:
    made = staff_pages(world)
    entry, grant, pending = made.entry, made.grant, made.pending
    reference = district_case(world)
    agent = console_client(world.service)
    a1 = world.school_a1.code
    profile = entry.person.profile
    for name, args, data in [
        # The Directory Administrator's pages ask customer service for a reason.
        ("backoffice:org_end", [a1, entry.pk], {"reason": ""}),
        ("backoffice:org_revoke", [a1, grant.pk], {"reason": ""}),
        ("backoffice:org_code", [a1, pending.pk], {"reason": ""}),
        ("backoffice:service", [], {"ssn_last4": "12ab"}),
        ("backoffice:service_disable", [profile.pk], {"reason": ""}),
        ("backoffice:service_appoint", [profile.pk], {"organization": "", "reason": ""}),
        ("backoffice:service_merge", [], {"survivor": "", "duplicate": ""}),
        ("backoffice:case_route", [reference], {"codes": "", "reason": ""}),
    ]:
        assert_summary_first(agent.post(reverse(name, args=args), data))


def test_no_console_page_puts_a_summary_further_down() -> None:
    """Pages not walked above (the merge's confirmation, undoing a merge) included the summary
    after their heading as the others did: every console page's summary is in `errors`, the
    block above the menu (backoffice/base.html)."""
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        if "error_summary" not in text or template.name == "base.html":
            continue
        errors = re.search(r"{% block errors %}.*?{% endblock %}", text, re.S)
        assert errors, template
        assert text.count("error_summary") == errors.group(0).count("error_summary"), template


def test_the_summary_is_above_the_menu_at_every_width(world: World) -> None:
    """At a desk the menu is a column on the left, before the page: the summary comes first."""
    response = console_client(world.da_a).post(
        reverse("backoffice:org_add_new", args=[world.school_a1.code]), {}
    )
    html = response.content.decode()
    assert html.index('id="error-summary"') < html.index('aria-label="Console"')
