from __future__ import annotations

from collections.abc import Iterator

import pytest

from .idp import Idp, IssuerServer, run_idp, run_issuer

USERS = {
    "alice": {"email": "alice@example.com", "groups": ["periscope-users", "devs"]},
    "mallory": {"email": "mallory@example.com", "groups": ["contractors"]},
}


@pytest.fixture
def idp() -> Iterator[Idp]:
    with run_idp(USERS) as running:
        yield running


@pytest.fixture
def issuer() -> Iterator[IssuerServer]:
    with run_issuer() as running:
        yield running
