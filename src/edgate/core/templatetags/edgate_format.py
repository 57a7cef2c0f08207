"""Dates, times and phone numbers as people write them, and the error summary's links.

    {% load edgate_format %}
    {{ review.date_of_birth|person_date }}   February 17, 1991   (a date, or an ISO "1991-02-17")
    {{ contact.phone|phone }}                (413) 555-0199
    {{ person|address }}                     12 Juniper Ct, Northfield, MA 01360
    {{ case.created_at|when }}               Nov 30, 2026, 2:05 PM EST   (in settings.TIME_ZONE)
    {{ event.at|when:True }}                 Nov 30, 2026, 2:05:09 PM EST  (with the seconds)
    {{ grant.granted_at|day }}               Nov 30, 2026
    {{ application.name|own_language }}      <span lang="en">Dropbox</span> on a Spanish page
    {{ message|phone_links }}                "… call <a href="tel:+15550106600">(555) 010-6600</a> …"

The formats are translatable (pgettext "date format"), so each language writes them its own way.
"""

from __future__ import annotations

from datetime import date, datetime

from django import forms, template
from django.template.defaultfilters import date as format_date
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import pgettext

from edgate.core import conf
from edgate.core.context_processors import in_own_language

register = template.Library()


@register.filter(expects_localtime=True)
def person_date(value: date | str | None) -> str:
    """A calendar date written out: "February 17, 1991"."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    if not value:
        return ""
    return format_date(value, pgettext("date format", "F j, Y"))


@register.filter(expects_localtime=True)
def day(value: date | datetime | None) -> str:
    """A day in short: "Nov 30, 2026" (a moment's day in the portal's time zone)."""
    if not value:
        return ""
    return format_date(value, pgettext("date format", "M j, Y"))


@register.filter(expects_localtime=True)
def when(value: datetime | None, seconds: bool = False) -> str:
    """A moment in the portal's time zone, named: "Nov 30, 2026, 2:05 PM EST" (with `seconds`,
    for an audit trail: "Nov 30, 2026, 2:05:09 PM EST")."""
    if not value:
        return ""
    if seconds:
        return format_date(value, pgettext("date format", "M j, Y, g:i:s A T"))
    return format_date(value, pgettext("date format", "M j, Y, g:i A T"))


@register.filter
def address(value: object) -> str:
    """A postal address on one line, as the U.S. Postal Service writes it, without the commas of
    missing parts: "12 Juniper Ct, Northfield, MA 01360" (a Person, or a dict of the same keys)."""

    def part(name: str) -> str:
        found = value.get(name) if isinstance(value, dict) else getattr(value, name, "")
        return str(found or "").strip()

    last = " ".join(p for p in (part("state"), part("postcode")) if p)
    return ", ".join(p for p in (part("street"), part("city"), last) if p)


@register.filter
def own_language(value: str | None) -> str:
    """A name written in the site's first language (an organization's, an application's, a
    role's), marked with its own `lang` inside a page in another language, so that a screen
    reader pronounces it as written (as the agency's name is: context_processors.in_own_language).
    Not for attributes or the window title."""
    return in_own_language(str(value or ""))


@register.filter
def phone(value: str | None) -> str:
    """A US number, kept as 10 digits, written "(413) 555-0199"; anything else as it is."""
    digits = str(value or "")
    if len(digits) == 10 and digits.isascii() and digits.isdigit():
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return digits


@register.filter
def error_anchor(field: forms.BoundField) -> str:
    """The id an error summary links to: the field's input (the first option of radio buttons,
    whose group has no element of its own)."""
    if isinstance(field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return f"{field.auto_id}_0"
    return str(field.auto_id)


@register.filter
def tel(value: str | None) -> str:
    """A phone number as a link target: "(555) 010-6600" → "tel:+15550106600"."""
    digits = "".join(ch for ch in str(value or "") if ch.isascii() and ch.isdigit())
    if len(digits) == 10:
        digits = f"1{digits}"
    return f"tel:+{digits}" if digits else ""


@register.filter
def phone_links(value: object) -> SafeString:
    """A message, escaped, with customer service's number (EDGATE_CUSTOMER_SERVICE_PHONE) made a
    tel: link wherever the message says it, as the footer's is: for messages written whole with
    the number in their words (recovery.flows.paused_message), which reach the page as text.

    The message's own text is split on the number and each piece escaped on its own, so the
    number is never looked for inside an escape ("&amp;", "&#x27;"). A message that is already
    HTML (marked safe) is left as it is: its text cannot be told from its markup here. A number
    without digits gives no link (there would be nothing to call)."""
    if isinstance(value, SafeData):
        return mark_safe(value)  # noqa: S308 - already safe
    text = str(value)
    number = conf.get().customer_service_phone
    if not number or not tel(number) or number not in text:
        return conditional_escape(text)
    link = str(format_html('<a class="usa-link" href="{}">{}</a>', tel(number), number))
    return mark_safe(link.join(str(conditional_escape(piece)) for piece in text.split(number)))  # noqa: S308 - each piece escaped
