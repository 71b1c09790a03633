"""PERISCOPE_WATCH_STREAMS and PERISCOPE_WATCH_PER_USER_LIMIT: what each value enables, and what is refused."""

from __future__ import annotations

import pytest

from periscope_core.domain.errors import ConfigError, StreamLimitReached
from periscope_core.domain.watch_streams import (
    STREAMABLE,
    WATCH_GROUPS,
    parse_per_user_limit,
    parse_watch_streams,
)

ORIGINAL_22 = [
    "pods", "events",
    "deployments", "statefulsets", "daemonsets", "replicasets", "jobs", "cronjobs", "horizontalpodautoscalers",
    "poddisruptionbudgets",
    "services", "ingresses", "networkpolicies", "endpointslices", "ingressclasses",
    "pvs", "pvcs", "storageclasses",
    "nodes", "namespaces", "priorityclasses", "runtimeclasses",
]


def test_every_kind_of_the_original_registry_plus_configmaps_is_streamable() -> None:
    assert sorted(STREAMABLE) == sorted([*ORIGINAL_22, "configmaps"])
    assert WATCH_GROUPS["core"] == ("pods", "events")
    assert sorted(WATCH_GROUPS["storage"]) == ["pvcs", "pvs", "storageclasses"]


@pytest.mark.parametrize("value", ["", "all", " ALL ", ",", " , all"])
def test_empty_or_all_enables_everything(value: str) -> None:
    streams = parse_watch_streams(value)
    assert streams.kinds == STREAMABLE
    assert streams.custom_resources
    assert streams.enabled("pods")
    assert streams.enabled("configmaps")


@pytest.mark.parametrize("value", ["off", "none", " Off "])
def test_off_or_none_disables_everything(value: str) -> None:
    streams = parse_watch_streams(value)
    assert streams.kinds == ()
    assert not streams.custom_resources
    assert not streams.enabled("pods")
    assert streams.describe() == "watch streams enabled: none (the UI polls)"


def test_kinds_and_group_aliases_combine_in_registry_order() -> None:
    streams = parse_watch_streams("storage, pods,configmaps,workloads")
    assert set(streams.kinds) == {"pods", "configmaps", *WATCH_GROUPS["storage"], *WATCH_GROUPS["workloads"]}
    assert list(streams.kinds) == [k for k in STREAMABLE if k in streams.kinds]
    assert not streams.enabled("events")
    assert not streams.custom_resources


def test_custom_resources_have_their_own_token() -> None:
    streams = parse_watch_streams("pods,customresources")
    assert streams.custom_resources
    assert streams.describe() == "watch streams enabled: pods, customresources"


def test_an_unknown_token_is_a_startup_error_naming_it() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_watch_streams("pods,banana,cluster,secrets")
    messages = [p.message for p in caught.value.problems]
    assert len(messages) == 2
    assert messages[0].startswith("unknown token 'banana'")
    assert messages[1].startswith("unknown token 'secrets'")
    assert all(p.field == "PERISCOPE_WATCH_STREAMS" for p in caught.value.problems)


def test_keywords_cannot_be_mixed_into_a_list() -> None:
    with pytest.raises(ConfigError, match="'off' must be used on its own"):
        parse_watch_streams("pods,off")


@pytest.mark.parametrize(("value", "limit"), [("", 60), (" 60 ", 60), ("0", 0), ("250", 250)])
def test_per_user_limit(value: str, limit: int) -> None:
    assert parse_per_user_limit(value) == limit


@pytest.mark.parametrize("value", ["-1", "lots", "1.5"])
def test_a_bad_per_user_limit_is_a_startup_error(value: str) -> None:
    with pytest.raises(ConfigError, match="PERISCOPE_WATCH_PER_USER_LIMIT"):
        parse_per_user_limit(value)


def test_the_cap_error_is_a_429_with_a_json_body() -> None:
    error = StreamLimitReached(60)
    assert error.http_status == 429
    assert error.body() == {"error": "E_TOO_MANY_STREAMS", "message": error.message, "limit": 60}
