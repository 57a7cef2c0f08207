"""What customer service keeps of its own work: merges of duplicate Persons.

A merge moves a duplicate Person's staff entries and match cases to the survivor, its
Profile's access grants to the survivor's Profile, and disables the duplicate's Profile. Both
Persons and both User Names stay. The merge row is the mark that the duplicate was merged (one
undone merge per duplicate at a time) and holds a snapshot of every row it changed, with the
values before and after, so that an unmerge can put each one back exactly.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from edgate.people.models import Person


class PersonMerge(models.Model):
    survivor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="merges_received")
    duplicate = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="merges_into_other")
    reason = models.CharField(max_length=1000)  # case_forms.REASON_MAX
    # {"staff": [{"id", "person_old", "person_new", "ended_at_old", "ended_at_new"}], "grants": [...],
    #  "cases": [...], "profile": {...} | None}: see backoffice.merge.
    snapshot = models.JSONField(default=dict)
    merged_at = models.DateTimeField(auto_now_add=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    undo_reason = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-merged_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["duplicate"],
                condition=Q(undone_at__isnull=True),
                name="one_standing_merge_per_duplicate",
            ),
            models.CheckConstraint(condition=~Q(survivor=models.F("duplicate")), name="merge_two_people"),
        ]

    def __str__(self) -> str:
        return f"merge {self.pk}: person {self.duplicate_id} into {self.survivor_id}"

    @property
    def standing(self) -> bool:
        return self.undone_at is None
