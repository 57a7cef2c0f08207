"""Spanish copy reads naturally around the agency's name ("Departamento de Educación del Estado",
or a name left in English): it takes its article ("del", "en el", "o el"), never a bare "de"."""

from __future__ import annotations

import re

from tools import messages


def test_the_agency_name_takes_its_article_in_spanish() -> None:
    bare = []
    for message in messages.read_catalog("es"):
        strings = message.string if isinstance(message.string, tuple | list) else [message.string]
        for text in strings:
            for found in re.finditer(r"(\S+)\s+%\(agency_name\)s", text or ""):
                if found.group(1).lower() not in {"del", "el", "al"}:
                    bare.append(found.group(0))
    assert not bare, bare
