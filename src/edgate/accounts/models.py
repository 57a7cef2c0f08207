"""Profile: the account a person signs in with. One per Person.

The User Name is assigned on creation (edgate.accounts.usernames) and can never change:
save() refuses it, the queryset refuses update(username=…), the admin shows it read-only,
no form has the field, and a database trigger (migration 0002) refuses raw SQL too.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import connection, models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy

from edgate.people.models import Person

from .usernames import canonical, could_be_assigned


class UsernameImmutableError(Exception):
    pass


class ProfileQuerySet(models.QuerySet["Profile"]):
    def update(self, **kwargs: Any) -> int:
        if "username" in kwargs:
            raise UsernameImmutableError("a User Name can never be changed")
        return super().update(**kwargs)

    def bulk_update(self, objs: Any, fields: Any, *args: Any, **kwargs: Any) -> int:
        if "username" in fields:
            raise UsernameImmutableError("a User Name can never be changed")
        return super().bulk_update(objs, fields, *args, **kwargs)


class ProfileManager(BaseUserManager.from_queryset(ProfileQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> Profile:
        profile = self.find_by_username(username or "")
        if profile is None:
            raise self.model.DoesNotExist
        return profile

    def find_by_username(self, typed: str) -> Profile | None:
        """The Profile whose User Name is the canonical form of what was typed, if any.
        Compared with lower(username) (served by the unique index), never with a
        database-side case-insensitive match: see usernames.canonical."""
        key = canonical(typed)
        if not could_be_assigned(key):
            return None
        return next(iter(self.raw(_BY_USERNAME_SQL(), [key])), None)

    def find_by_id(self, pk: int) -> Profile | None:
        """The Profile with this primary key, if any: the signed-in Profile of every request
        (accounts.backends.ProfileBackend.get_user), one written-out statement like the above."""
        return next(iter(self.raw(_BY_ID_SQL(), [pk])), None)

    def create_user(self, *args: Any, **kwargs: Any) -> Profile:
        raise NotImplementedError("Profiles are created by edgate.accounts.actions")

    def create_superuser(self, *args: Any, **kwargs: Any) -> Profile:
        raise NotImplementedError("use `edgate createstaff`; User Names are assigned, not chosen")


@cache
def _BY_USERNAME_SQL() -> str:  # noqa: N802 - a constant, made once the models are ready
    """One Profile by lower(username), written out: every sign-in asks, and compiling the
    queryset (annotate(Lower) .filter .first) cost more CPU than running it. Table and column
    names come from the model, so a rename follows; the value is a parameter."""
    quote = connection.ops.quote_name
    meta = Profile._meta
    columns = ", ".join(quote(f.column) for f in meta.concrete_fields)
    username = quote(meta.get_field("username").column)
    return (
        f"SELECT {columns} FROM {quote(meta.db_table)} "  # noqa: S608 - names from the model, quoted
        f"WHERE LOWER({username}) = %s LIMIT 1"  # at most one: the unique index on lower(username)
    )


@cache
def _BY_ID_SQL() -> str:  # noqa: N802 - a constant, made once the models are ready
    """One Profile by primary key, written out: every signed-in request asks (the session's
    Profile), and compiling `.get(pk=…)` cost more CPU than running it."""
    quote = connection.ops.quote_name
    meta = Profile._meta
    columns = ", ".join(quote(f.column) for f in meta.concrete_fields)
    return f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608 - names from the model, quoted


class Status(models.TextChoices):
    AWAITING_SETUP = "awaiting_setup", gettext_lazy("Awaiting setup")
    ACTIVE = "active", gettext_lazy("Active")
    LOCKED = "locked", gettext_lazy("Locked")
    DISABLED = "disabled", gettext_lazy("Disabled")


# The permission that makes a Profile customer service (the consoles' role, and where the
# second factor lands them).
CUSTOMER_SERVICE_PERMISSION = "accounts.serve_customers"


class Profile(AbstractBaseUser, PermissionsMixin):
    username = models.CharField("User Name", max_length=40, editable=False)
    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="profile")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    hint_question = models.CharField(max_length=200, blank=True)
    hint_answer_hash = models.CharField(max_length=256, blank=True, editable=False)
    is_staff = models.BooleanField(
        default=False, help_text="Agency staff who may use the administration site."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    # Raised to end every session of this Profile at once (part of the session auth hash):
    # accounts.sessions.end_every_session.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    objects = ProfileManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="profile_username_ci_unique"),
        ]
        # Given through a group (the demo's "Customer service"); see edgate.backoffice.scope.
        permissions = [("serve_customers", "Work in the customer-service console")]

    def __str__(self) -> str:
        return self.username

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._saved_username = self.username if self.pk else None

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's HMAC of the password hash, with the session epoch once it has been raised
        (epoch 0 keeps Django's value, so sessions made before the epoch existed stay valid).
        Django compares it with the session's copy on every request: a new password or a new
        epoch ends every session made before."""
        value = self.password if not self.session_epoch else f"{self.password}:epoch:{self.session_epoch}"
        return salted_hmac(
            "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
            value,
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.status == Status.ACTIVE

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._saved_username is not None and self.username != self._saved_username:
            raise UsernameImmutableError("a User Name can never be changed")
        super().save(*args, **kwargs)
        self._saved_username = self.username

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._saved_username = self.username


class CodePurpose(models.TextChoices):
    RECOVERY = "recovery", gettext_lazy("Password recovery (privileged Profiles)")
    SETUP = "setup", gettext_lazy("Set up a pre-created Profile")
    ENROL = "enrol", gettext_lazy("Set up a second factor (privileged Profiles)")


class ActivationCode(models.Model):
    """A one-time code customer service gives a person (on the phone, on paper).

    Only a keyed hash is stored. 128 random bits make a slow hash unnecessary: the code
    cannot be guessed offline even from the hash's key-less copy, and online guessing is
    throttled per User Name and per address.
    """

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="activation_codes")
    purpose = models.CharField(max_length=16, choices=CodePurpose.choices)
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    issued_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["profile", "purpose"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} code for {self.profile_id}"
