from django.contrib import admin

from .models import Person


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    # The SSN is shown masked only; date of birth is not listed (personal data).
    list_display = ["state_id", "last_name", "first_name", "ssn_masked", "source", "created_at"]
    search_fields = ["state_id", "last_name", "first_name", "email"]
    readonly_fields = ["state_id", "ssn_masked", "created_at", "updated_at"]
    exclude = ["ssn_ciphertext", "ssn_hash", "ssn_last4"]
