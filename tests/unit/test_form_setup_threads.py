"""A form class's shared fields are set up once (core/forms.py UswdsForm), even when several
threads make the class's first forms at the same moment: each validator is there once, so an
error is shown once."""

from __future__ import annotations

import threading
import time
from typing import Any

from django import forms

from edgate.core.forms import UswdsForm
from edgate.core.validators import reject_control_characters

THREADS = 8


class SlowCheckList(list):  # type: ignore[type-arg]
    """A validators list whose `in` answers a while after it looked: every thread looks before
    any adds, the interleaving that happens by chance on a busy server, made certain here."""

    def __contains__(self, item: Any) -> bool:
        found = super().__contains__(item)
        time.sleep(0.05)
        return found


def test_first_forms_from_many_threads_add_each_validator_once() -> None:
    class FreshForm(UswdsForm):  # a class no form has been made of yet
        first_name = forms.CharField()
        city = forms.CharField()

    for field in FreshForm.base_fields.values():
        field.validators = SlowCheckList(field.validators)
    barrier = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def make() -> None:
        try:
            barrier.wait(timeout=10)
            FreshForm(data={"first_name": "Ana", "city": "Reno"}).is_valid()
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=make) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures
    for name, field in FreshForm.base_fields.items():
        assert field.validators.count(reject_control_characters) == 1, name
    form = FreshForm(data={"first_name": "A\x07na", "city": "Reno"})
    assert not form.is_valid()
    assert len(form.errors["first_name"]) == 1
