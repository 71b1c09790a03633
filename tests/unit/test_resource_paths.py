"""Apiserver paths built from URL parts: no part, however it is spelled, can move the request elsewhere."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from periscope_core.domain.errors import InvalidRequest
from periscope_core.domain.resources import GroupVersionResource

SECRETS = GroupVersionResource("", "v1", "secrets")


def test_plain_paths() -> None:
    assert SECRETS.path(namespace="shop", name="db") == "/api/v1/namespaces/shop/secrets/db"
    deployments = GroupVersionResource("apps", "v1", "deployments")
    assert deployments.path(namespace="shop", name="web", subresource="scale") == (
        "/apis/apps/v1/namespaces/shop/deployments/web/scale")  # fmt: skip


def test_a_query_or_a_slash_in_a_part_stays_in_that_part() -> None:
    # A custom resource's plural comes from the console's URL; "secrets?x=" must not list every Secret.
    sneaky = GroupVersionResource("", "v1", "secrets?x=")
    assert sneaky.path(namespace="default", name="db") == "/api/v1/namespaces/default/secrets%3Fx%3D/db"
    assert GroupVersionResource("a/b", "v1", "things").path() == "/apis/a%2Fb/v1/things"
    assert SECRETS.path(namespace="shop", name="db#frag") == "/api/v1/namespaces/shop/secrets/db%23frag"


@pytest.mark.parametrize("part", [".", ".."])
def test_dot_segments_are_refused_in_every_place(part: str) -> None:
    for build in (
        lambda: SECRETS.path(namespace=part),
        lambda: SECRETS.path(name=part),
        lambda: GroupVersionResource("", "v1", part).path(),
        lambda: GroupVersionResource(part, "v1", "x").path(),
        lambda: SECRETS.path(name="db", subresource=part),
    ):
        with pytest.raises(InvalidRequest):
            build()


@given(st.text(min_size=1, max_size=30).filter(lambda t: t not in (".", "..")))
def test_any_name_is_exactly_one_segment(name: str) -> None:
    path = SECRETS.path(namespace="shop", name=name)
    assert path.startswith("/api/v1/namespaces/shop/secrets/")
    assert "/" not in path.removeprefix("/api/v1/namespaces/shop/secrets/")
    assert not {"?", "#"} & set(path)
