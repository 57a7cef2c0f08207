"""The Directory Administrator console in Chromium at phone width: each page checked with axe,
and nothing wider than the screen."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from edgate.directory import actions as directory_actions
from tests.backoffice import build_world, console_client, district_case, staff_pages
from tests.factories import CTX, on_file, precreated, someone

from .conftest import assert_accessible, watch_resources

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits_the_screen(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_console_pages_on_a_phone(page: Page, live_server, failed_resources: list[str]) -> None:  # type: ignore[no-untyped-def]
    world = build_world()
    made = staff_pages(world)
    entry, grant, pending = made.entry, made.grant, made.pending
    # The signed-in, second-factor-passed session of the district's administrator.
    client = console_client(world.da_a)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )

    a1 = world.school_a1.code
    for path, heading in [
        ("/console/", "Console"),
        ("/console/org/", "Organizations"),
        (f"/console/org/{world.district_a.code}/", world.district_a.name),
        (f"/console/org/{world.district_a.code}/staff/add/", "Add a staff member"),
        (f"/console/org/{a1}/staff/add/pick/", "Add someone already on my staff"),
        (f"/console/org/{a1}/staff/add/known/", "Add someone known to the agency"),
        (f"/console/org/{a1}/staff/add/new/", "Add someone new"),
        (f"/console/org/{a1}/staff/{entry.pk}/", entry.person.full_name),
        (f"/console/org/{a1}/staff/{entry.pk}/edit/", "Change a staff entry"),
        (f"/console/org/{a1}/staff/{entry.pk}/end/", "End a staff entry"),
        (f"/console/org/{a1}/grants/{grant.pk}/revoke/", "Revoke access"),
        (f"/console/org/{a1}/staff/{pending.pk}/code/", "One-time activation code"),
        (f"/console/org/{world.district_a.code}/activity/", f"Activity at {world.district_a.name}"),
    ]:
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        assert_accessible(page)
        assert fits_the_screen(page), path

    # Errors: the summary and the fields, still accessible.
    page.goto(f"{live_server.url}/console/org/{a1}/staff/add/new/")
    page.evaluate("document.querySelector('main form[method=post]').noValidate = true")
    page.get_by_role("button", name="Add to the staff").click()
    expect(page.get_by_role("alert").first).to_contain_text("There is a problem")
    assert_accessible(page)
    page.goto(f"{live_server.url}/console/org/{a1}/staff/{pending.pk}/code/")
    page.get_by_role("button", name="Issue a code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Activation code issued")
    assert_accessible(page)
    assert fits_the_screen(page)


def test_staff_search_inputs_line_up_at_both_widths(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    """The "Name or User Name" box is as tall as the other filters and has all four borders."""
    world = build_world()
    session = console_client(world.da_a).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    measure = """id => { const e = document.getElementById(id), s = getComputedStyle(e);
        return {h: e.getBoundingClientRect().height, w: e.getBoundingClientRect().width,
                right: s.borderRightWidth, left: s.borderLeftWidth}; }"""
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/console/org/{world.district_a.code}/")
        name, title = page.evaluate(measure, "id_q"), page.evaluate(measure, "id_role_title")
        assert name["right"] == name["left"] == title["right"] != "0px", (width, name)
        assert abs(name["h"] - title["h"]) < 1 and abs(name["w"] - title["w"]) < 1, (width, name, title)


def test_printed_activation_code_takes_the_whole_width_and_prints_from_a_button(
    page: Page, live_server, failed_resources: list[str]
) -> None:  # type: ignore[no-untyped-def]
    world = build_world()
    waiting = on_file(someone("Orla", "Printwell"))
    precreated(waiting)
    pending = directory_actions.do_add_staff(
        person=waiting, organization=world.school_a1, role_title="Aide", ctx=CTX
    )
    session = console_client(world.da_a).cookies[settings.SESSION_COOKIE_NAME].value
    # A context that enforces the Content-Security-Policy: the button's script must be allowed.
    assert page.context.browser is not None
    context = page.context.browser.new_context(bypass_csp=False, viewport={"width": 1100, "height": 900})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
    strict = context.new_page()
    missing = watch_resources(strict)
    refused: list[str] = []
    strict.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    strict.goto(f"{live_server.url}/console/org/{world.school_a1.code}/staff/{pending.pk}/code/")
    strict.get_by_role("button", name="Issue a code").click()
    expect(strict.get_by_role("heading", level=1)).to_have_text("Activation code issued")
    strict.evaluate("window.print = () => { window.edgatePrinted = true; }")
    strict.get_by_role("button", name="Print this page").click()
    assert strict.evaluate("window.edgatePrinted === true") and not refused
    # In print: no side-nav column; the code's card starts at the left and takes the width.
    strict.emulate_media(media="print")
    card = strict.locator(".edgate-printable").bounding_box()
    main = strict.locator("main .grid-row").first.bounding_box()
    assert card is not None and main is not None
    # As wide as the page's content row, less the grid's gutter (was three quarters, to the right).
    assert card["x"] - main["x"] < 20 and card["width"] > main["width"] - 40, (card, main)
    # Neither of the console's menus (the column at a desk, the one after the page on a phone).
    assert strict.locator("nav .usa-sidenav").evaluate_all("all => all.every(el => !el.checkVisibility())")
    assert not strict.get_by_role("button", name="Print this page").is_visible()
    assert not missing, missing
    context.close()


# The widest choice of a select, and the room its box gives the text (its padding and arrow aside).
SELECT_ROOM = """id => { const s = document.getElementById(id), st = getComputedStyle(s);
    const ctx = document.createElement('canvas').getContext('2d'); ctx.font = st.font;
    const widest = Math.max(...[...s.options].map(o => ctx.measureText(o.text).width));
    const room = s.clientWidth - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight);
    return {widest, room}; }"""
PAGE_WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"
LONG_FIRST, LONG_LAST = "Maria-Guadalupe", "Featherstonehaugh-Oyelaran-Villanueva"


# Links in a selector's cells that the browser broke over more than one line.
BROKEN = """sel => [...document.querySelectorAll(sel)].filter(a => a.getClientRects().length > 1)
    .map(a => a.textContent)"""


def test_staff_list_and_case_queue_have_room_at_a_desk_and_fit_a_phone(
    page: Page, live_server, failed_resources: list[str]
) -> None:  # type: ignore[no-untyped-def]
    """At 1280 px the console's content column was about 710 px: names broke after their comma
    and the Organization filter showed "This district and it". Wider at a desk; a phone unchanged.
    A name too long for its column wraps rather than pushing the table past the screen's edge
    (kept on one line, it made the staff list 1353 px wide at 1024 and 1417 at 1280: review10)."""
    world = build_world()
    staff_pages(world)
    for first, last, school in (
        ("Anthony", "Fitzgerald", world.school_a1),
        ("Anthony", "Fitzgerald", world.school_a1),
        ("Maximiliana", "Featherstonehaugh-Oyelaran", world.school_a2),
        (LONG_FIRST, LONG_LAST, world.school_a2),
    ):
        person = on_file(someone(first, last))
        precreated(person)
        directory_actions.do_add_staff(person=person, organization=school, role_title="Teacher", ctx=CTX)
    district_case(world)
    session = console_client(world.da_a).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    staff = f"{live_server.url}/console/org/{world.district_a.code}/"
    queue = f"{live_server.url}/console/cases/"

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(staff)
    column = page.locator("main .grid-row > div").first.bounding_box()
    assert column is not None and column["width"] > 850, column
    # A name of ordinary length stays on one line; longer ones may wrap (below).
    assert [
        name for name in page.evaluate(BROKEN, "main table th[scope=row] a") if "Fitzgerald" in name
    ] == []
    for select in ("id_status", "id_school"):
        fit = page.evaluate(SELECT_ROOM, select)
        assert fit["widest"] <= fit["room"], (select, fit)
    page.goto(queue)
    assert page.evaluate(BROKEN, "main table th[scope=row] a") == []
    for width in (1024, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        for url in (staff, queue):
            page.goto(url)
            assert fits_the_screen(page), (width, url, page.evaluate(PAGE_WIDTH))

    page.set_viewport_size({"width": 390, "height": 844})
    for url in (staff, queue):
        page.goto(url)
        assert_accessible(page)
        assert fits_the_screen(page), url

    # Customer service's search lists the same name in its own table.
    page.context.clear_cookies()
    session = console_client(world.service).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    for width in (1024, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/console/service/")
        page.fill("#id_name", "Featherstonehaugh")
        page.click("main form button[type=submit]")
        expect(page.locator("main table")).to_contain_text(LONG_LAST)
        assert fits_the_screen(page), (width, "service search", page.evaluate(PAGE_WIDTH))
