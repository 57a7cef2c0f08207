"""Organizations, staff directory entries, applications and access grants."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext, gettext_lazy

from edgate.core.context_processors import in_own_language
from edgate.people.models import Person

code_validator = RegexValidator(r"^\d{8}$", "An organization code has 8 digits.")


class OrgType(models.TextChoices):
    AGENCY = "agency", gettext_lazy("State agency")
    DISTRICT = "district", gettext_lazy("District")
    SCHOOL = "school", gettext_lazy("School")
    CHARTER = "charter", gettext_lazy("Charter school")
    COLLABORATIVE = "collaborative", gettext_lazy("Collaborative")


class Organization(models.Model):
    code = models.CharField(max_length=8, unique=True, validators=[code_validator])
    name = models.CharField(max_length=120)
    org_type = models.CharField(max_length=16, choices=OrgType.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        if self.org_type == OrgType.DISTRICT and not self.code.endswith("0000"):
            raise ValidationError({"code": "A district's code ends in 0000 (XXXX0000)."})
        if self.org_type == OrgType.SCHOOL:
            if self.parent is None or self.parent.org_type != OrgType.DISTRICT:
                raise ValidationError({"parent": "A school belongs to a district."})
            if self.code[:4] != self.parent.code[:4] or self.code.endswith("0000"):
                raise ValidationError({"code": "A school's code shares its district's first four digits."})

    def administered_codes(self) -> list[str]:
        """This organization and, for a district, its schools."""
        return [self.code, *self.children.values_list("code", flat=True)]


class StaffEntry(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="staff_entries")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="staff")
    role_title = models.CharField(max_length=80)
    started_on = models.DateField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "staff entries"
        constraints = [
            models.UniqueConstraint(
                fields=["person", "organization"],
                condition=Q(ended_at__isnull=True),
                name="one_active_entry_per_org",
            )
        ]

    def __str__(self) -> str:
        return f"{self.role_title} at {self.organization.code}"


class OrgAdministrator(models.Model):
    """A Directory Administrator of one organization (and so of its schools)."""

    profile = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="administers"
    )
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="administrators")
    appointed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["profile", "organization"], name="one_admin_row")]

    def __str__(self) -> str:
        return f"{self.profile} administers {self.organization.code}"


class Application(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=200, blank=True)
    # The name and description on Spanish pages; blank: the English ones, marked lang="en".
    name_es = models.CharField("name (Spanish)", max_length=80, blank=True)
    description_es = models.CharField("description (Spanish)", max_length=200, blank=True)
    url = models.URLField(blank=True)
    open_to_all = models.BooleanField(default=False, help_text="Every active Profile may use it.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def shown_name(self) -> str | SafeString:
        """The name in the page's language: the Spanish one on a Spanish page when there is one,
        else the name as written, in its own language (`lang` on a page in another)."""
        return _in_page_language(self.name, self.name_es)

    @property
    def shown_description(self) -> str | SafeString:
        return _in_page_language(self.description, self.description_es) if self.description else ""

    @property
    def shown_text(self) -> str:
        """shown_name as plain text, for where no markup may go (a select's option)."""
        return _text_in_page_language(self.name, self.name_es)


def _text_in_page_language(english: str, spanish: str) -> str:
    return spanish if spanish and (translation.get_language() or "").startswith("es") else english


def _in_page_language(english: str, spanish: str) -> str | SafeString:
    if spanish and (translation.get_language() or "").startswith("es"):
        return spanish
    return in_own_language(english)


def known_org_types(value: object) -> None:
    if not isinstance(value, list) or any(kind not in OrgType.values for kind in value):
        raise ValidationError("Choose kinds of organization from the list.")


def in_org_type_order(kinds: Iterable[str]) -> list[str]:
    """The kinds once each, in OrgType's order (so a change of order is no change). A kind that
    is not one is kept, at the end, for validation to refuse: dropped, a typo could leave the
    list empty, which means any kind."""
    chosen = set(kinds)
    return [kind for kind in OrgType.values if kind in chosen] + sorted(chosen - set(OrgType.values))


class AppRole(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="roles")
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=80)
    # The name on Spanish pages (the consoles, My applications); blank: the English one, marked
    # lang="en". As an application's (Application.name_es). A database default, so a node still
    # on the code before this column can add a role during a rolling upgrade (docs/deploy.md).
    name_es = models.CharField("name (Spanish)", max_length=80, blank=True, default="", db_default="")
    # The kinds of organization (OrgType values) at which the role may be granted; empty: any
    # kind. A client that reads only the role from the `roles` claim ("district_admin") must not
    # be handed it at a school. A database default (an empty list) for the rolling upgrade, as
    # name_es; a list filtered in Python (a handful of roles), so SQLite and PostgreSQL agree.
    org_types = models.JSONField(
        "may be granted at",
        default=list,
        db_default=[],
        blank=True,
        validators=[known_org_types],
        help_text="The kinds of organization where this role may be granted. None ticked: any kind.",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "code"], name="role_code_per_app")]

    def __str__(self) -> str:
        return f"{self.application.code}: {self.name}"

    @property
    def shown_name(self) -> str | SafeString:
        """The name in the page's language, as Application.shown_name."""
        return _in_page_language(self.name, self.name_es)

    @property
    def shown_text(self) -> str:
        return _text_in_page_language(self.name, self.name_es)

    def fits(self, organization: Organization) -> bool:
        """May this role be granted at this organization (by its kind)?"""
        return not self.org_types or organization.org_type in self.org_types

    @property
    def org_types_text(self) -> str:
        """The kinds it may be granted at, in words ("District, Charter school"), in the page's
        language; "Any kind of organization" when none is named."""
        if not self.org_types:
            return gettext("Any kind of organization")
        labels = dict(OrgType.choices)
        return ", ".join(str(labels.get(kind, kind)) for kind in in_org_type_order(self.org_types))


class ActiveGrants(models.QuerySet["AccessGrant"]):
    def active(self) -> ActiveGrants:
        return self.filter(revoked_at__isnull=True)

    def not_fitting(self) -> ActiveGrants:
        """Grants whose role does not fit its organization's kind now (AppRole.fits): made
        before role kinds, or left by a kind ticked on the role later or an organization's kind
        changed. Not revoked by that; sso.access leaves them out of sign-in and the claims.
        One condition per role that names kinds (a handful), so the database does the rest."""
        misfit = Q(pk__in=[])
        for role_id, kinds in AppRole.objects.values_list("pk", "org_types"):
            if kinds:
                misfit |= Q(role_id=role_id) & ~Q(organization__org_type__in=kinds)
        return self.filter(misfit)


class AccessGrant(models.Model):
    profile = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grants")
    application = models.ForeignKey(Application, on_delete=models.PROTECT)
    role = models.ForeignKey(AppRole, on_delete=models.PROTECT)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT)
    staff_entry = models.ForeignKey(
        StaffEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="grants"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ActiveGrants.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "role", "organization"],
                condition=Q(revoked_at__isnull=True),
                name="one_active_grant",
            )
        ]

    def __str__(self) -> str:
        return f"{self.role} at {self.organization.code}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.role_id and self.application_id and self.role.application_id != self.application_id:
            raise ValidationError("The role belongs to another application.")
        super().save(*args, **kwargs)

    @property
    def role_fits(self) -> bool:
        """Whether its role fits its organization's kind now (AppRole.fits). A grant in force
        whose role does not gives no access (sso.access.active_grants): the consoles say so."""
        return self.role.fits(self.organization)
