from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from edgate.core.admin import Action, AuditedAdmin

from . import actions
from .models import Person
from .quality import data_problems


@admin.register(Person)
class PersonAdmin(AuditedAdmin):
    # The SSN is shown masked only; date of birth is not listed (personal data).
    list_display = ["state_id", "last_name", "first_name", "ssn_masked", "source", "created_at"]
    search_fields = ["state_id", "last_name", "first_name", "email"]
    readonly_fields = ["state_id", "ssn_masked", "data_quality", "source", "created_at", "updated_at"]
    exclude = ["ssn_ciphertext", "ssn_hash", "ssn_last4", "data_problems_ciphertext", "dob_digits"]
    target = "person"
    # People come from registration, the directory, import or createstaff; never deleted here.
    change_actions = dict.fromkeys(actions.UPDATABLE_FIELDS, actions.do_update_person)

    @admin.display(description=gettext_lazy("Data-quality problem"))
    def data_quality(self, obj: Person) -> str:
        """Fields an agency file gave unusable, with the raw value (SSN masked), read-only."""
        problems = data_problems(obj).values()
        return "; ".join(f"{p.label}: “{p.value}” — {p.reason}" for p in problems) or "—"

    def action_arguments(self, action: Action, request: HttpRequest) -> dict[str, Any]:
        return {"source": "admin"}

    # The change form carries the date of birth: hidden on error pages (edgate.core.debug).
    @method_decorator(sensitive_post_parameters("date_of_birth"))
    @method_decorator(sensitive_variables())
    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return super().changeform_view(request, *args, **kwargs)
