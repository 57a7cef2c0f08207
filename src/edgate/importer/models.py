from django.db import models

from edgate.matching.models import MatchCase
from edgate.people.models import Person


class ImportedRow(models.Model):
    """What became of one row of one source: makes re-running a file (or an interrupted run) safe."""

    source = models.CharField(max_length=40)
    row_key = models.CharField(max_length=64)
    content_hash = models.CharField(max_length=64)
    result = models.CharField(max_length=16)
    person = models.ForeignKey(Person, null=True, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(MatchCase, null=True, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "row_key"], name="one_row_per_source")]

    def __str__(self) -> str:
        return f"{self.source}:{self.row_key} → {self.result}"
