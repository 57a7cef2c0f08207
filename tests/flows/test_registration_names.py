"""Names in any script through the wizard: the User Name shown at the end is transliterated
(never a placeholder), long names are cut at a word boundary, and a registrant whose name is
in another script finds their own record exactly."""

from __future__ import annotations

import pytest
from django.test import Client

from edgate.accounts.models import Profile
from tests.factories import on_file, someone, with_profile

from .helpers import location, post_step, register_new, start, step, url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("first", "last", "username"),
    [
        ("Ольга", "Петрова", "opetrova"),
        ("Γιώργος", "Παπαδόπουλος", "gpapadopoylos"),
        ("小明", "王", "xwang"),
        ("محمد", "العلي", "mlly"),
        ("Văn", "Nguyễn", "vnguyen"),
        ("Zoë", "D'Arcy-Ñúñez de la Torre y Montenegro", "zdarcynunezdelatorrey"),
    ],
)
def test_the_user_name_shown_at_the_end_is_transliterated(
    client: Client, first: str, last: str, username: str
) -> None:
    assert register_new(client, someone(first, last)) == username
    page = client.get(url(client, "created")).content.decode()
    assert f'data-testid="username">{username}<' in page


def test_a_second_long_compound_name_takes_the_next_number() -> None:
    last = "D'Arcy-Ñúñez de la Torre y Montenegro"
    assert register_new(Client(), someone("Zoë", last)) == "zdarcynunezdelatorrey"
    assert register_new(Client(), someone("Zacarías", last)) == "zdarcynunezdelatorrey2"


def test_a_cyrillic_registrant_matches_their_cyrillic_record_exactly(client: Client) -> None:
    who = someone("Ольга", "Петрова")
    profile = with_profile(on_file(who))
    assert profile.username == "opetrova"
    other = with_profile(on_file(someone("Ирина", "Петрова")))
    assert other.username == "ipetrova"
    start(client)
    assert location(post_step(client, "identity", who.identity_post())) == step("exact")
    page = client.get(url(client, "exact")).content.decode()
    assert "opetrova" in page and "ipetrova" not in page
    assert Profile.objects.count() == 2
