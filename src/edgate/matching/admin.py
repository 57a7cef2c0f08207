from django.contrib import admin

from edgate.core.admin import AuditedAdmin

from . import actions
from .models import MatchCase


@admin.register(MatchCase)
class MatchCaseAdmin(AuditedAdmin):
    list_display = ["reference", "status", "source", "person", "created_at"]
    list_filter = ["status", "source"]
    search_fields = ["reference"]
    readonly_fields = [
        "reference",
        "person",
        "explanation",
        "source",
        "created_at",
        "resolved_at",
        "resolved_by",
        "attempts",
        "last_attempt_at",
        "outcome",
        "resolution_note",
        "escalation_note",
    ]
    exclude = ["submitted_ciphertext", "submission_key"]
    filter_horizontal = ["organizations"]
    target = "case"
    # Cases are opened by matching (registration, import); never deleted.
    change_actions = {"status": actions.do_set_case_status, "organizations": actions.do_route_case}
