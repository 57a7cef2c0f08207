"""The PII guard itself catches leaks (otherwise every test relying on it proves nothing)."""

from __future__ import annotations

import logging

import pytest
from django.http import HttpResponse, HttpResponseRedirect

from tests.conftest import PiiGuard
from tests.pii import register_dob, register_ssn

SSN = register_ssn("219453381")


def test_guard_catches_an_ssn_in_a_log_record() -> None:
    guard = PiiGuard()
    logger = logging.getLogger("edgate.test")
    logger.addHandler(guard)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # keep this deliberate leak away from the suite-wide guard
    try:
        logger.info("matched person with ssn %s", f"{SSN[:3]}-{SSN[3:5]}-{SSN[5:]}")
    finally:
        logger.removeHandler(guard)
        logger.propagate = True
    assert guard.problems() and "log record" in guard.problems()[0]


def test_guard_catches_pii_in_urls_redirects_and_pages() -> None:
    from datetime import date

    dob = register_dob(date(1979, 4, 11))
    guard = PiiGuard()
    page = HttpResponse(f"<p>{SSN}</p>", content_type="text/html")
    guard.check_exchange({"PATH_INFO": "/lookup/", "QUERY_STRING": f"ssn={SSN}"}, page)
    guard.check_exchange({"PATH_INFO": "/x/"}, HttpResponseRedirect(f"/y/?dob={dob.isoformat()}"))
    own = HttpResponse(f"<input value='{dob.isoformat()}'>", content_type="text/html")
    guard.check_exchange({"PATH_INFO": "/register/identity/"}, own)  # own form may show the DOB
    problems = guard.problems()
    assert [p.split(" ")[1] for p in problems] == ["URL", "page", "redirect:"]


@pytest.mark.parametrize("path", ["/register/identity/", "/register/review/"])
def test_own_pages_never_show_a_full_ssn(path: str) -> None:
    guard = PiiGuard()
    guard.check_exchange({"PATH_INFO": path}, HttpResponse(f"{SSN}", content_type="text/html"))
    assert guard.problems()


@pytest.mark.parametrize(
    "written",
    ["Feb 7, 1991", "Feb 07, 1991", "7 feb 1991", "7 Feb 1991", "07 feb 1991", "7 de febrero de 1991"],
)
def test_guard_catches_a_date_of_birth_in_short_and_spanish_forms(written: str) -> None:
    """As the consoles' `day` and `when` write a date ("M j, Y"; in Spanish "j b Y")."""
    from datetime import date

    register_dob(date(1991, 2, 7))
    guard = PiiGuard()
    guard.check_exchange(
        {"PATH_INFO": "/x/"}, HttpResponse(f"<p>born {written}</p>", content_type="text/html")
    )
    assert guard.problems(), written


def test_guard_catches_spanish_month_abbreviations() -> None:
    from datetime import date

    register_dob(date(1983, 12, 24))
    register_dob(date(1986, 1, 5))
    guard = PiiGuard()
    for written in ("24 dic 1983", "5 ene 1986"):
        guard.check_exchange({"PATH_INFO": "/x/"}, HttpResponse(written, content_type="text/html"))
    assert len(guard.problems()) == 2
