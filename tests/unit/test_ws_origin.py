"""Which WebSocket upgrades may proceed, by Origin (cross-site WebSocket hijacking)."""

from __future__ import annotations

import pytest

from periscope_entrypoints.http.ws_terminal import origin_allowed

HOST = "console.example.com"


@pytest.mark.parametrize(
    ("origin", "scheme", "allowed"),
    [
        ("https://console.example.com", "wss", True),
        ("HTTPS://Console.Example.com", "https", True),
        ("http://console.example.com", "ws", True),
        ("http://console.example.com", "wss", False),
        ("https://console.example.com:8443", "wss", False),
        ("https://console.example.com.evil.tld", "wss", False),
        ("https://evil.tld", "wss", False),
        ("null", "wss", False),
    ],
)
def test_only_our_own_origin_passes(origin: str, scheme: str, allowed: bool) -> None:
    assert origin_allowed(origin, scheme=scheme, host=HOST) is allowed


def test_dev_patterns_widen_the_list() -> None:
    assert origin_allowed("http://localhost:5173", scheme="ws", host=HOST, allowed=("http://localhost:*",))
    assert not origin_allowed("http://localhost.evil:5173", scheme="ws", host=HOST, allowed=("http://localhost:*",))


def test_no_origin_passes_only_without_a_cookie() -> None:
    assert origin_allowed(None, scheme="wss", host=HOST)
    assert not origin_allowed(None, scheme="wss", host=HOST, has_cookie=True)
