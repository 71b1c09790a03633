"""Live streams in tier mode share one upstream watch per tier, and it has the tier's rights."""

from __future__ import annotations

import pytest

from periscope_adapters.sandbox import BRIDGE_USER, ApiServer, InProcessTransport
from periscope_core.domain.auth_config import AuthorizationConfig
from periscope_core.domain.authz import impersonation_for, stream_identity
from periscope_core.domain.errors import Forbidden
from periscope_core.domain.identity import BRIDGE, Impersonation, Principal
from periscope_core.domain.resources import GroupVersionResource
from periscope_core.domain.tier_rbac import periscope_rbac_objects
from periscope_core.services.kube import KubeClient

TIER = AuthorizationConfig(mode="tier", groupTiers={"oncall": "triage", "devs": "read"})
PODS = GroupVersionResource("", "v1", "pods")


def test_users_of_one_tier_stream_as_the_same_identity() -> None:
    alice = impersonation_for(Principal("alice", groups=("devs",)), TIER)
    bob = impersonation_for(Principal("bob", groups=("devs",)), TIER)
    carol = impersonation_for(Principal("carol", groups=("oncall",)), TIER)
    assert alice != bob
    assert stream_identity(alice, TIER) == stream_identity(bob, TIER)
    assert stream_identity(alice, TIER).cache_key() != stream_identity(carol, TIER).cache_key()
    assert stream_identity(alice, TIER) == Impersonation(user="periscope-tier:read", groups=("periscope-tier:read",))


@pytest.mark.parametrize("mode", ["raw", "shared"])
def test_other_modes_keep_the_callers_identity(mode: str) -> None:
    authz = AuthorizationConfig(mode=mode)
    caller = impersonation_for(Principal("alice", groups=("devs",)), authz)
    assert stream_identity(caller, authz) == caller


def test_a_user_without_a_tier_is_not_pooled() -> None:
    caller = impersonation_for(Principal("mallory", groups=("nobody",)), TIER)
    assert stream_identity(caller, TIER) == caller
    assert stream_identity(BRIDGE, TIER) == BRIDGE


async def test_the_tier_identity_reads_but_cannot_write_through_the_fence() -> None:
    api = ApiServer(name="t")
    for obj in periscope_rbac_objects(bridge_users=[BRIDGE_USER.name]):
        api.create_object(obj)
    client = KubeClient(InProcessTransport(api, BRIDGE_USER), cluster="t")
    as_tier = stream_identity(impersonation_for(Principal("alice", groups=("devs",)), TIER), TIER)
    assert (await client.list(PODS, namespace="default", as_=as_tier)).items == []
    with pytest.raises(Forbidden):
        await client.delete(PODS, "anything", namespace="default", as_=as_tier)
