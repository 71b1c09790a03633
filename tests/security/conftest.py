"""The attack and fault list (docs/security-tests.md) against the real app over the sandbox fleet.

These tests reuse tests/http's peers (the loopback OpenID provider, the browser, the SSE
reader) and its session console, whose sandbox fleet every console here runs over. That
folder goes on the import path for its helper modules; its conftest is loaded under a
name of its own, since this file is also called conftest.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_HTTP_TESTS = Path(__file__).resolve().parent.parent / "http"
sys.path.insert(0, str(_HTTP_TESTS))

_spec = importlib.util.spec_from_file_location("periscope_http_tests_conftest", _HTTP_TESTS / "conftest.py")
assert _spec is not None
assert _spec.loader is not None
_http_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_http_conftest)

console = _http_conftest.console
"""The session's dev-mode console over the sandbox fleet (tests/http/conftest.py)."""

from security_peers import RecordedConsole, recorded_console  # noqa: E402 - needs the path set above


@pytest.fixture(scope="session")
def dev(console: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordedConsole]:
    """A dev-mode console (the bridge identity, shared mode) with its apiserver calls recorded."""
    with recorded_console(console, tmp_path_factory.mktemp("security-dev")) as running:
        yield running
