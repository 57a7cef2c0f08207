"""Profiles and permission groups in the admin: every change goes through an audited action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import Group
from django.http import HttpRequest

from edgate.core.admin import Action, AuditedAdmin

from . import actions
from .models import Profile

PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups")


class ProfileAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    def clean_status(self) -> str:
        status = self.cleaned_data["status"]
        if status != self.instance.status and (
            problem := actions.status_change_problem(self.instance, status)
        ):
            raise forms.ValidationError(problem)
        return status


@admin.register(Profile)
class ProfileAdmin(AuditedAdmin):
    form = ProfileAdminForm
    list_display = ["username", "status", "is_staff", "created_at", "last_login"]
    list_filter = ["status", "is_staff"]
    search_fields = ["username", "person__last_name", "person__state_id"]
    # The User Name is never editable; passwords and answers are never shown. The hint question
    # changes only with the current password, which only the person has (SECURITY.md).
    readonly_fields = ["username", "person", "hint_question", "created_at", "activated_at", "last_login"]
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
    target = "profile"
    change_actions = {
        "status": actions.do_set_status,
        "is_staff": actions.do_set_privileges,
        "is_superuser": actions.do_set_privileges,
        "groups": actions.do_set_privileges,
    }
    # Profiles come from registration, the directory or import (add_action None); never deleted.

    def action_arguments(self, action: Action, request: HttpRequest) -> dict[str, Any]:
        return {"reason": "admin site"} if action is actions.do_set_status else {}

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:  # staff with "change profile" cannot raise anyone's privileges
            readonly += PRIVILEGE_FIELDS
        return readonly

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only a superuser may lock or change another privileged Profile.
        if obj is not None and (obj.is_staff or obj.is_superuser) and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedAdmin, auth_admin.GroupAdmin):
    target = "group"
    add_action = actions.do_save_group
    change_actions = {"name": actions.do_save_group, "permissions": actions.do_save_group}
    # Never deleted: removing a group silently removes privileges from its members.
