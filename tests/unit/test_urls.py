"""A tablet will not talk to a server that would carry case data in clear."""

from __future__ import annotations

import pytest

from shared.urls import InsecureServer, checked_server_url


@pytest.mark.parametrize(
    "url",
    [
        "https://cad.agency.gov",
        "https://10.1.2.3:8443/",
        "http://127.0.0.1:8000",
        "http://localhost:1",
    ],
)
def test_https_anywhere_and_plain_http_only_to_this_machine_are_accepted(url):
    assert checked_server_url(url) == url.rstrip("/")


@pytest.mark.parametrize("url", ["http://cad.agency.gov", "http://192.168.1.20:8000"])
def test_plain_http_across_a_network_is_refused_with_the_reason(url):
    with pytest.raises(InsecureServer, match="never sent in clear"):
        checked_server_url(url)


@pytest.mark.parametrize("url", ["cad.agency.gov", "ftp://x", ""])
def test_something_that_is_not_a_server_address_is_refused(url):
    with pytest.raises(InsecureServer, match="not a server address"):
        checked_server_url(url)
