"""uxpub 4: the Spanish for "User Name" is written "Nombre de usuario", capitalised as the English
is, in every message ("Revise su nombre de usuario" read as any name)."""

from __future__ import annotations

import re

from tools import messages


def test_user_name_is_capitalised_in_spanish_as_in_english() -> None:
    lower = []
    for message in messages.read_catalog("es"):
        ids = message.id if isinstance(message.id, tuple | list) else [message.id]
        if not any("User Name" in text for text in ids):
            continue
        strings = message.string if isinstance(message.string, tuple | list) else [message.string]
        lower += [text for text in strings if re.search(r"\bnombres? de usuario", text or "")]
    assert not lower, lower
