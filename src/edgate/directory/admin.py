"""Admin for agency staff. Writes that have an action go through it, so they are audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from edgate.core.context import ctx_from_request

from . import actions
from .models import AccessGrant, Application, AppRole, OrgAdministrator, Organization, StaffEntry


class AppRoleInline(admin.TabularInline):
    model = AppRole
    extra = 0


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "open_to_all"]
    inlines = [AppRoleInline]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "org_type", "parent", "active"]
    list_filter = ["org_type", "active"]
    search_fields = ["code", "name"]


@admin.register(StaffEntry)
class StaffEntryAdmin(admin.ModelAdmin):
    list_display = ["person", "organization", "role_title", "ended_at"]
    raw_id_fields = ["person", "organization"]
    search_fields = ["person__last_name", "organization__code"]
    readonly_fields = ["ended_at"]
    actions = ["end_entries"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # end an entry instead: that revokes its grants and is audited

    def save_model(self, request: HttpRequest, obj: StaffEntry, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        saved = actions.do_add_staff(
            person=obj.person,
            organization=obj.organization,
            role_title=obj.role_title,
            ctx=ctx_from_request(request),
        )
        obj.pk = saved.pk

    @admin.action(description="End the selected staff entries (revokes their grants)")
    def end_entries(self, request: HttpRequest, queryset: QuerySet[StaffEntry]) -> None:
        for entry in queryset:
            actions.do_end_staff_entry(entry=entry, ctx=ctx_from_request(request))
        messages.success(request, f"Ended {queryset.count()} staff entries.")


@admin.register(AccessGrant)
class AccessGrantAdmin(admin.ModelAdmin):
    list_display = ["profile", "application", "role", "organization", "granted_at", "revoked_at"]
    list_filter = ["application"]
    raw_id_fields = ["profile", "staff_entry"]
    fields = ["profile", "role", "organization", "staff_entry"]
    actions = ["revoke"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a grant is made or revoked, never edited

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: AccessGrant, form: Any, change: bool) -> None:
        saved = actions.do_grant_access(
            profile=obj.profile,
            role=obj.role,
            organization=obj.organization,
            staff_entry=obj.staff_entry,
            ctx=ctx_from_request(request),
        )
        obj.pk = saved.pk

    @admin.action(description="Revoke the selected grants")
    def revoke(self, request: HttpRequest, queryset: QuerySet[AccessGrant]) -> None:
        for grant in queryset.active():
            actions.do_revoke_access(grant=grant, ctx=ctx_from_request(request))
        messages.success(request, "Revoked.")


@admin.register(OrgAdministrator)
class OrgAdministratorAdmin(admin.ModelAdmin):
    list_display = ["profile", "organization", "appointed_at"]
    raw_id_fields = ["profile", "organization"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: OrgAdministrator, form: Any, change: bool) -> None:
        saved = actions.do_appoint_admin(
            profile=obj.profile, organization=obj.organization, ctx=ctx_from_request(request)
        )
        obj.pk = saved.pk
