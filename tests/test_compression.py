"""Responses travel compressed when the browser accepts it; static files are cached for a year."""

import gc
import gzip
import re
import warnings

import pytest

GZIP = {"Accept-Encoding": "gzip, deflate"}

TOKEN = re.compile(r"[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}")  # an itsdangerous-signed CSRF token


def test_a_page_is_sent_gzipped_to_a_browser_that_accepts_it(client):
    plain = client.get("/login")
    packed = client.get("/login", headers=GZIP)
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert int(packed.headers["Content-Length"]) < len(plain.data)
    # The same page, apart from the CSRF token each request gets (signed with the time, so two
    # requests a second apart differ): in the form's field and in the body's hx-headers.
    assert len(TOKEN.findall(plain.text)) >= 2
    assert TOKEN.sub("", gzip.decompress(packed.data).decode()) == TOKEN.sub("", plain.text)


def test_a_client_that_does_not_ask_gets_plain_text(client):
    response = client.get("/login")
    assert "Content-Encoding" not in response.headers
    assert "<form" in response.text


def test_static_files_are_fingerprinted_cached_a_year_and_compressed(client):
    page = client.get("/login").text
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\?v=[0-9a-f]{12})"', page)
    assert any(a.startswith("/static/css/") for a in assets)
    for url in assets:
        plain = client.get(url, buffered=True)
        packed = client.get(url, headers=GZIP, buffered=True)
        assert packed.status_code == 200
        assert "max-age=31536000" in packed.headers["Cache-Control"]
        if len(plain.data) >= 1000:
            assert packed.headers["Content-Encoding"] == "gzip"
            assert gzip.decompress(packed.data) == plain.data


def test_part_of_a_static_file_is_sent_as_it_is(client):
    whole = client.get("/static/css/app.css", buffered=True).data
    part = client.get("/static/css/app.css", headers={**GZIP, "Range": "bytes=0-99"}, buffered=True)
    assert part.status_code == 206
    assert "Content-Encoding" not in part.headers
    assert part.data == whole[:100]


@pytest.mark.parametrize("revalidated", [False, True])
def test_a_static_file_is_closed_when_its_answer_is_made(app, client, revalidated):
    """Even if the response is never closed (the dev server skips it when a browser drops the
    connection), no file is left for the garbage collector, for a 200 or a 304."""
    with app.test_request_context():
        url = app.jinja_env.globals["static_url"]("favicon.svg")
    headers = {"If-None-Match": client.get(url).headers["ETag"]} if revalidated else {}
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        answer = client.get(url, headers=headers)
        assert answer.status_code == (304 if revalidated else 200)
        del answer
        gc.collect()
    assert not [warning for warning in seen if issubclass(warning.category, ResourceWarning)]
