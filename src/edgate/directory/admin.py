from django.contrib import admin

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


@admin.register(AccessGrant)
class AccessGrantAdmin(admin.ModelAdmin):
    list_display = ["profile", "application", "role", "organization", "granted_at", "revoked_at"]
    list_filter = ["application"]
    raw_id_fields = ["profile", "staff_entry", "granted_by", "revoked_by"]
    readonly_fields = ["granted_at", "granted_by", "revoked_at", "revoked_by"]


@admin.register(OrgAdministrator)
class OrgAdministratorAdmin(admin.ModelAdmin):
    list_display = ["profile", "organization", "appointed_at"]
    raw_id_fields = ["profile", "organization"]
