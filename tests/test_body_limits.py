"""Request bodies are a form's worth, refused early with the portal's own error page."""

from __future__ import annotations

from io import BytesIO
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, on_file, someone, with_profile

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
EIGHT_MIB = 8 * 1024 * 1024


def friendly(response, status: int) -> str:  # type: ignore[no-untyped-def]
    """The portal's error page: its layout, its headers, no stack trace."""
    assert response.status_code == status
    page = response.content.decode()
    assert "customer service" in page and "Traceback" not in page
    assert (
        response["Cache-Control"] == "no-store" and "frame-ancestors" in response["Content-Security-Policy"]
    )
    return page


def test_an_8_mib_multipart_post_to_sign_in_is_refused(client: Client) -> None:
    profile = with_profile(on_file(someone()))
    big = SimpleUploadedFile("big.bin", b"\0" * EIGHT_MIB)
    response = client.post(LOGIN, {"username": profile.username, "password": PASSWORD, "file": big})
    assert "larger than any form" in friendly(response, 413)
    assert "_auth_user_id" not in client.session  # and it signed nobody in


def test_a_normal_sign_in_still_works(client: Client) -> None:
    profile = with_profile(on_file(someone()))
    response = client.post(LOGIN, {"username": profile.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("directory:applications")


@pytest.mark.parametrize("fields", [5000, 501])  # 501: over EdGate's limit, under Django's default
def test_5000_urlencoded_fields_are_refused(client: Client, fields: int) -> None:
    body = "&".join(f"f{i}=x" for i in range(fields))
    assert len(body) < 64 * 1024  # under the size limit: the field count refuses it
    response = client.post(LOGIN, body, content_type="application/x-www-form-urlencoded")
    friendly(response, 400)


def test_a_file_of_any_size_is_refused(client: Client) -> None:
    profile = with_profile(on_file(someone()))
    small = SimpleUploadedFile("note.txt", b"hello")
    response = client.post(LOGIN, {"username": profile.username, "password": PASSWORD, "file": small})
    friendly(response, 400)


def chunked(client: Client, stream: BytesIO, *, terminated: bool):  # type: ignore[no-untyped-def]
    """A body without Content-Length, as a server that decodes chunked encoding hands it on
    (`wsgi.input_terminated`: the stream ends where the body does)."""
    return client.generic(
        "POST",
        LOGIN,
        CONTENT_TYPE="application/x-www-form-urlencoded",  # generic() sets it only with data
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": stream, "wsgi.input_terminated": terminated},
    )


def test_a_large_chunked_body_is_refused_without_reading_it_all(client: Client) -> None:
    stream = BytesIO(b"username=x&password=" + b"y" * EIGHT_MIB)
    friendly(chunked(client, stream, terminated=True), 413)
    assert stream.tell() == 64 * 1024 + 1  # one byte past the limit, not 8 MiB


def test_a_small_chunked_body_is_an_ordinary_form(client: Client) -> None:
    profile = with_profile(on_file(someone()))
    form = urlencode({"username": profile.username, "password": PASSWORD}).encode()
    response = chunked(client, BytesIO(form), terminated=True)
    assert response.status_code == 302 and response["Location"] == reverse("directory:applications")


def test_a_body_that_cannot_be_measured_is_refused(client: Client) -> None:
    friendly(chunked(client, BytesIO(b"username=x&password=y"), terminated=False), 411)


def test_a_malformed_content_length_is_refused(client: Client) -> None:
    friendly(client.post(LOGIN, "a=b", content_type="text/plain", CONTENT_LENGTH="12abc"), 400)
