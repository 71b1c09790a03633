"""The sandbox cluster every service test starts from."""

from __future__ import annotations

import pytest

from periscope_adapters.sandbox import ApiServer
from periscope_adapters.sandbox._manifests import binding, namespace

from .helpers import NS, Clients


@pytest.fixture
async def clients() -> Clients:
    api = ApiServer(name="c1", bookmark_interval=0.2)
    api.create_object(namespace(NS))
    api.create_object(namespace("team-b"))
    api.create_object(binding("tier-read", "view", group="periscope-tier:read"))
    api.create_object(binding("bob-view", "view", user="bob"))
    return Clients(api)
