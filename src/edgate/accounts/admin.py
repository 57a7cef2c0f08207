from django.contrib import admin
from django.http import HttpRequest

from .models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["username", "status", "is_staff", "created_at", "last_login"]
    list_filter = ["status", "is_staff"]
    search_fields = ["username", "person__last_name", "person__state_id"]
    # The User Name is never editable; passwords and answers are never shown.
    readonly_fields = ["username", "person", "created_at", "activated_at", "last_login"]
    fields = [
        "username",
        "person",
        "status",
        "is_staff",
        "is_superuser",
        "groups",
        "hint_question",
        "created_at",
        "activated_at",
        "last_login",
    ]
    filter_horizontal = ["groups"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # Profiles come from registration, the directory or import
