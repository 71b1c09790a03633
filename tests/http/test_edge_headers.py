"""The browser policy on every response, including the sign-out redirect's destination."""

from __future__ import annotations

from typing import Any

from periscope_core.domain.auth_config import SessionConfig
from periscope_entrypoints.http.middleware import edge_headers


async def _csp(**kwargs: Any) -> str:
    message: dict[str, Any] = {"type": "http.response.start", "status": 200, "headers": []}
    scope: dict[str, Any] = {"type": "http", "scheme": "http", "headers": [], "client": ("127.0.0.1", 1)}
    await edge_headers(SessionConfig(), **kwargs)(message, scope)  # type: ignore[arg-type]
    headers = {k.decode(): v.decode() for k, v in message["headers"]}
    return headers["content-security-policy"]


async def test_form_posts_stay_same_origin_without_an_identity_provider() -> None:
    assert (await _csp()).endswith("form-action 'self'")


async def test_sign_out_everywhere_may_end_at_the_identity_provider() -> None:
    csp = await _csp(identity_provider="https://login.example.com/realms/ops/")
    assert csp.endswith("form-action 'self' https://login.example.com")
    assert "script-src" not in csp
    assert "default-src 'self'" in csp


async def test_an_issuer_that_is_not_a_web_origin_adds_nothing() -> None:
    assert (await _csp(identity_provider="javascript:alert(1)")).endswith("form-action 'self'")
