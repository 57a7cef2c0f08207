"""Admin for organizations, applications and agency staff: every write goes through an action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from edgate.core.admin import AuditedAdmin
from edgate.core.context import ctx_from_request

from . import actions as directory  # ModelAdmin.actions (the list menu) is another thing
from .models import AccessGrant, Application, AppRole, OrgAdministrator, Organization, OrgType, StaffEntry


class AppRoleInline(admin.TabularInline):  # type: ignore[type-arg]
    """Shown for reference; roles are added and changed on their own page (audited)."""

    model = AppRole
    extra = 0
    fields = ["code", "name", "name_es", "granted_at"]
    readonly_fields = ["granted_at"]

    @admin.display(description=gettext_lazy("May be granted at"))
    def granted_at(self, role: AppRole) -> str:
        return role.org_types_text

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Application)
class ApplicationAdmin(AuditedAdmin):
    list_display = ["code", "name", "open_to_all"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [AppRoleInline]
    target = "application"
    add_action = directory.do_save_application
    change_actions = dict.fromkeys(
        ["code", "name", "description", "name_es", "description_es", "url", "open_to_all"],
        directory.do_save_application,
    )


class AppRoleForm(forms.ModelForm):  # type: ignore[type-arg]
    """The kinds of organization a role may be granted at, as boxes to tick (not JSON)."""

    org_types = forms.MultipleChoiceField(
        label=gettext_lazy("May be granted at"),
        choices=OrgType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "The kinds of organization where a Directory Administrator (or customer service) may "
            "grant this role. Tick only the kinds the role is meant for: an application reads the "
            "role with the organization's code, so a district-wide role granted at a school gives "
            "district-wide rights there. None ticked: any kind of organization."
        ),
    )

    class Meta:
        model = AppRole
        fields = ["application", "code", "name", "name_es", "org_types"]


@admin.register(AppRole)
class AppRoleAdmin(AuditedAdmin):
    form = AppRoleForm
    list_display = ["application", "code", "name", "name_es", "granted_at"]
    list_filter = ["application"]
    target = "role"
    add_action = directory.do_save_app_role
    change_actions = dict.fromkeys(
        ["application", "code", "name", "name_es", "org_types"], directory.do_save_app_role
    )

    @admin.display(description=gettext_lazy("May be granted at"))
    def granted_at(self, role: AppRole) -> str:
        return role.org_types_text


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin):
    list_display = ["code", "name", "org_type", "parent", "active"]
    list_filter = ["org_type", "active"]
    search_fields = ["code", "name"]
    target = "organization"
    add_action = directory.do_save_organization
    change_actions = dict.fromkeys(
        ["code", "name", "org_type", "parent", "active"], directory.do_save_organization
    )


@admin.register(StaffEntry)
class StaffEntryAdmin(AuditedAdmin):
    list_display = ["person", "organization", "role_title", "ended_at"]
    raw_id_fields = ["person", "organization"]
    search_fields = ["person__last_name", "organization__code"]
    readonly_fields = ["ended_at"]
    actions = ["end_entries"]
    target = "entry"
    add_action = directory.do_add_staff
    change_actions = dict.fromkeys(["role_title", "started_on"], directory.do_update_staff_entry)
    # Never deleted: end an entry instead, which revokes its grants and is audited.

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly + ["person", "organization"] if obj is not None else readonly

    @admin.action(description=gettext_lazy("End the selected staff entries (revokes their grants)"))
    def end_entries(self, request: HttpRequest, queryset: QuerySet[StaffEntry]) -> None:
        for entry in queryset:
            directory.do_end_staff_entry(entry=entry, ctx=ctx_from_request(request))
        count = queryset.count()
        messages.success(
            request,
            ngettext("Ended %(count)s staff entry.", "Ended %(count)s staff entries.", count)
            % {"count": count},
        )


class AccessGrantForm(forms.ModelForm):  # type: ignore[type-arg]
    """The grant rules (`grant_problem`) as a form error rather than a failed save."""

    class Meta:
        model = AccessGrant
        fields = ["profile", "role", "organization", "staff_entry"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        profile, role, organization = data.get("profile"), data.get("role"), data.get("organization")
        if profile is not None and role is not None and organization is not None:
            problem = directory.grant_problem(
                profile=profile, role=role, organization=organization, staff_entry=data.get("staff_entry")
            )
            if problem:
                raise forms.ValidationError(problem)
        return data


class FitsKindsFilter(admin.SimpleListFilter):
    """Grants in force whose role no longer fits its organization's kind (a kind ticked on the
    role, or the organization's kind changed, after the grant was made; or made before role
    kinds): they give no access and are not in the claims (sso/access.py active_grants), and
    stay until revoked here, so the security administrator finds them with this filter."""

    title = gettext_lazy("fits its role's kinds")
    parameter_name = "fits_kinds"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:  # type: ignore[type-arg]
        return [("no", gettext_lazy("No (in force, gives no access)"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[AccessGrant]) -> QuerySet[AccessGrant]:
        if self.value() == "no":
            return queryset.active().not_fitting()  # type: ignore[attr-defined,no-any-return]
        return queryset


@admin.register(AccessGrant)
class AccessGrantAdmin(AuditedAdmin):
    form = AccessGrantForm
    list_display = ["profile", "application", "role", "organization", "granted_at", "revoked_at"]
    list_filter = ["application", FitsKindsFilter]
    raw_id_fields = ["profile", "staff_entry"]
    fields = ["profile", "role", "organization", "staff_entry"]
    actions = ["revoke"]
    target = "grant"
    add_action = directory.do_grant_access
    # A grant is made or revoked (the "revoke" action), never edited or deleted.

    @admin.action(description=gettext_lazy("Revoke the selected grants"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[AccessGrant]) -> None:
        for grant in queryset.active():
            directory.do_revoke_access(grant=grant, ctx=ctx_from_request(request))
        messages.success(request, _("Revoked."))


@admin.register(OrgAdministrator)
class OrgAdministratorAdmin(AuditedAdmin):
    list_display = ["profile", "organization", "appointed_at"]
    raw_id_fields = ["profile", "organization"]
    target = "appointment"
    add_action = directory.do_appoint_admin
    delete_action = directory.do_remove_admin
