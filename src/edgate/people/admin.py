from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from .models import Person


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    # The SSN is shown masked only; date of birth is not listed (personal data).
    list_display = ["state_id", "last_name", "first_name", "ssn_masked", "source", "created_at"]
    search_fields = ["state_id", "last_name", "first_name", "email"]
    readonly_fields = ["state_id", "ssn_masked", "created_at", "updated_at"]
    exclude = ["ssn_ciphertext", "ssn_hash", "ssn_last4"]

    # The change form carries the date of birth: hidden on error pages (edgate.core.debug).
    @method_decorator(sensitive_post_parameters("date_of_birth"))
    @method_decorator(sensitive_variables())
    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return super().changeform_view(request, *args, **kwargs)
