from django.contrib import admin

from .models import MatchCase


@admin.register(MatchCase)
class MatchCaseAdmin(admin.ModelAdmin):
    list_display = ["reference", "status", "source", "person", "created_at"]
    list_filter = ["status", "source"]
    search_fields = ["reference"]
    readonly_fields = ["reference", "person", "explanation", "source", "created_at"]
    exclude = ["submitted_ciphertext", "submission_key"]
    filter_horizontal = ["organizations"]
