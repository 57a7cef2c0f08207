"""The names the audit log's events are shown by (the console's activity, the admin site) read
as labels: a name, with any explanation in brackets, not a sentence broken by a colon ("…: their
number"). They are display only: an event is stored and hashed by its value
("security.flow_refusals_suppressed"), so a label can change without touching the chain."""

from __future__ import annotations

import pytest
from django.utils import translation

from edgate.audit import chain
from edgate.audit.models import AuditEvent, EventType
from edgate.audit.record import record_event
from tests.factories import CTX


@pytest.mark.django_db
def test_events_are_named_by_plain_labels_that_are_not_hashed() -> None:
    for kind in EventType:
        for language in ("en", "es"):
            with translation.override(language):
                assert ":" not in str(kind.label), (language, kind.value, str(kind.label))
    assert str(EventType.FLOW_REFUSALS_SUPPRESSED.label) == (
        "Refused registration or recovery pages over the site's recording limit (count)"
    )
    # Display only: the text hashed names the event by its value, never by its label.
    event = record_event(EventType.FLOW_REFUSALS_SUPPRESSED, ctx=CTX, detail={"suppressed": 3})
    stored = AuditEvent.objects.get(pk=event.pk)
    text = chain.canonical(
        stored.chain, stored.seq, stored.prev_hash, [getattr(stored, f) for f in chain.CONTENT_FIELDS]
    )
    assert '"security.flow_refusals_suppressed"' in text
    assert "Refused" not in text and "ceiling" not in text
    assert (
        chain.event_hash(
            stored.chain, stored.seq, stored.prev_hash, [getattr(stored, f) for f in chain.CONTENT_FIELDS]
        )
        == stored.hash
    )
