"""The agency's record of a human being.

The SSN is stored three ways, none of them plain: Fernet ciphertext (to show it to nobody,
but keep it for the agency's lawful uses), a keyed hash (to find a person without
decrypting the table) and the last four digits (the only form ever displayed).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.views.decorators.debug import sensitive_variables

from edgate.core import crypto
from edgate.identity import normalize

SSN_PURPOSE = "ssn"


@sensitive_variables()
def ssn_lookup(ssn: str) -> str:
    return crypto.lookup_hash(SSN_PURPOSE, ssn)


def new_state_id() -> str:
    # 8 digits, no leading zero; random so IDs reveal nothing about order or volume.
    return str(secrets.randbelow(90_000_000) + 10_000_000)


KEY_FIELDS = ("last_name_key", "last_name_phonetic", "former_last_name_key", "first_name_key")


def name_keys(first_name: str, last_name: str, former_last_name: str) -> tuple[str, str, str, str]:
    """The blocking keys of KEY_FIELDS, in that order (`Person.fill_keys`, and the bulk import's
    rows, which are built without a Person)."""
    return (
        normalize.name_key(last_name),
        normalize.phonetic(last_name),
        normalize.name_key(former_last_name),
        normalize.name_key(first_name),
    )


class Person(models.Model):
    first_name = models.CharField(max_length=60)
    middle_name = models.CharField(max_length=60, blank=True)
    last_name = models.CharField(max_length=80)
    former_last_name = models.CharField(max_length=80, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    ssn_ciphertext = models.BinaryField(null=True, editable=False)
    ssn_hash = models.CharField(max_length=64, null=True, blank=True, editable=False, unique=True)
    ssn_last4 = models.CharField(max_length=4, blank=True, editable=False)
    state_id = models.CharField("state educator ID", max_length=8, unique=True, editable=False)
    street = models.CharField(max_length=120, blank=True)
    city = models.CharField(max_length=60, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    email = models.EmailField(max_length=254, blank=True, db_index=True)
    phone = models.CharField(max_length=10, blank=True, db_index=True)
    # Blocking keys, kept in step with the names by save(); see edgate.matching.normalize.
    last_name_key = models.CharField(max_length=80, blank=True, editable=False)
    last_name_phonetic = models.CharField(max_length=16, blank=True, editable=False)
    former_last_name_key = models.CharField(max_length=80, blank=True, editable=False)
    first_name_key = models.CharField(max_length=60, blank=True, editable=False)
    source = models.CharField(max_length=40, default="registration")
    # Data-quality record (docs/matching.md §7): fields a person file supplied that are unusable
    # for matching (field name → reason code, importer.rows.REASONS), their raw values encrypted
    # (personal data: shown only to those who already see the field, never logged), and an
    # impossible date of birth's typed digits YYYYMMDD, compared digit by digit.
    data_problems = models.JSONField(default=dict, blank=True, editable=False)
    data_problems_ciphertext = models.BinaryField(null=True, editable=False)
    dob_digits = models.CharField(max_length=8, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "people"
        indexes = [
            models.Index(fields=["date_of_birth", "last_name_key"]),
            models.Index(fields=["last_name_phonetic", "date_of_birth"]),
            models.Index(fields=["former_last_name_key", "date_of_birth"]),
            models.Index(fields=["date_of_birth", "first_name_key"]),
            # Customer service's search (backoffice.service_views): name beginnings, the SSN's
            # last four, an email address typed in any case.
            models.Index(
                fields=["last_name_key"], opclasses=["varchar_pattern_ops"], name="person_last_key_prefix"
            ),
            models.Index(
                fields=["first_name_key"], opclasses=["varchar_pattern_ops"], name="person_first_key_prefix"
            ),
            models.Index(
                fields=["former_last_name_key"],
                opclasses=["varchar_pattern_ops"],
                name="person_former_key_prefix",
            ),
            models.Index(fields=["ssn_last4"], name="person_ssn_last4"),
            models.Index(Upper("email"), name="person_email_upper"),
            # Blocking on the whole name with a near birth date or none (matching.candidates).
            models.Index(
                fields=["last_name_key", "first_name_key", "date_of_birth"], name="person_full_name_dob"
            ),
            # Blocking on an impossible date of birth kept as typed digits (few records).
            models.Index(fields=["dob_digits"], name="person_dob_digits", condition=~Q(dob_digits="")),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.state_id})"

    def __repr__(self) -> str:
        return f"<Person {self.pk} {self.state_id}>"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.state_id:
            self.state_id = new_state_id()
        self.fill_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, *KEY_FIELDS}
        super().save(*args, **kwargs)

    def fill_keys(self) -> None:
        """Blocking keys, kept in step with the names (bulk loaders call this too)."""
        (
            self.last_name_key,
            self.last_name_phonetic,
            self.former_last_name_key,
            self.first_name_key,
        ) = name_keys(self.first_name, self.last_name, self.former_last_name)

    @property
    def ssn_masked(self) -> str:
        return f"***-**-{self.ssn_last4}" if self.ssn_last4 else ""

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p)

    @sensitive_variables()
    def set_ssn(self, ssn: str | None) -> None:
        if not ssn:
            self.ssn_ciphertext, self.ssn_hash, self.ssn_last4 = None, None, ""
            return
        self.ssn_ciphertext = crypto.encrypt(ssn)
        self.ssn_hash = ssn_lookup(ssn)
        self.ssn_last4 = ssn[-4:]

    @sensitive_variables()
    def set_data_problems(self, reasons: dict[str, str], raw: dict[str, str]) -> None:
        self.data_problems = dict(reasons)
        self.data_problems_ciphertext = crypto.encrypt_json(dict(raw)) if raw else None

    @sensitive_variables()
    def data_problem_values(self) -> dict[str, str]:
        """The raw unusable values as the file gave them (for the administrator's eyes only)."""
        if not self.data_problems_ciphertext:
            return {}
        return crypto.decrypt_json(bytes(self.data_problems_ciphertext))

    @sensitive_variables()
    def reveal_ssn(self) -> str:
        """For the agency's lawful uses only; nothing in the portal UI calls this."""
        return crypto.decrypt(self.ssn_ciphertext) if self.ssn_ciphertext else ""
