"""How console pages show times and audit event details: one local, readable format for an
event's time and for the datetimes inside its detail (stored as UTC ISO strings), and "—" for
an empty value."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from edgate.core.templatetags.edgate_format import day, when

register = template.Library()

EMPTY = "—"


@register.filter
def console_time(value: datetime | None) -> str:
    """A datetime in the site's time zone, as the rest of the portal writes it (edgate_format
    `when`, 12-hour), with the seconds an audit trail needs: "Nov 30, 2026, 9:22:05 AM EST";
    "—" for none."""
    if value is None:
        return EMPTY
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return when(timezone.localtime(value), seconds=True)


def _one(value: Any) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, datetime):
        return console_time(value)
    if isinstance(value, str) and "T" in value and len(value) >= 16:
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is not None:
            return console_time(parsed)
    if isinstance(value, date):
        return day(value)
    return str(value)


@register.filter
def audit_value(value: Any) -> str:
    """One value of an audit event's detail: datetimes as `console_time`, lists joined with
    commas, "—" for empty."""
    if isinstance(value, (list, tuple)):
        return ", ".join(_one(v) for v in value) or EMPTY
    return _one(value)
