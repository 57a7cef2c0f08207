"""Error reports hide personal data whatever DEBUG says.

Django's `SafeExceptionReporterFilter` applies `@sensitive_variables` and
`@sensitive_post_parameters` only when DEBUG is False ("if DEBUG is True then your site is
not safe anyway"). EdGate holds SSNs: the debug page of a developer's machine or a staging
server, and the error e-mail of production, must hide them alike, so the filter is always on.

How EdGate marks code (see the views, flows, forms and actions that use it):
- every view that receives an SSN, a date of birth, a password or a hint answer names those
  POST fields with `sensitive_post_parameters`, and hides its locals with `sensitive_variables()`;
- every function that holds such a value hides *all* its locals (`sensitive_variables()` with
  no names). Django applies the nearest decorated caller's list to every frame below it, so
  an "all" list also covers the Django, matcher and crypto frames it calls, whatever their
  variables are named; a list of names would leave those frames open.
- objects that carry the values (`Identity`, `PersonData`, `Person`, `Flow`) have a `repr`
  that shows none of them, for frames outside any decorated function.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter


class PersonalDataFilter(SafeExceptionReporterFilter):
    def is_active(self, request: HttpRequest | None) -> bool:
        return True
