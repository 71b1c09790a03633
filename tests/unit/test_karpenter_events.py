"""Karpenter's FailedScheduling messages (the published wording, from the shared fixtures) per NodePool."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from periscope_core.domain.karpenter_events import NodePoolRejection, parse_failed_scheduling

FIXTURES = json.loads(
    (Path(__file__).parents[2] / "adapters" / "sandbox" / "data" / "karpenter-events" / "failedscheduling.json")
    .read_text()
)


def test_two_pools_one_on_resources_one_on_a_taint() -> None:
    parsed = parse_failed_scheduling(FIXTURES[0]["message"])
    assert parsed is not None
    general, gpu = parsed
    assert general.node_pool == "general"
    assert general.daemonset_overhead == {"cpu": "210m", "memory": "240Mi", "pods": "5"}
    assert general.reason.startswith('no instance type satisfied resources {"cpu":"1210m"')
    assert general.reason.endswith("karpenter.sh/nodepool In [general]")
    assert gpu == NodePoolRejection(node_pool="gpu", reason="did not tolerate nvidia.com/gpu=true:NoSchedule",
                                    daemonset_overhead={"cpu": "210m", "memory": "240Mi", "pods": "5"})  # fmt: skip


def test_reasons_with_commas_and_parentheses_stay_whole() -> None:
    parsed = parse_failed_scheduling(FIXTURES[1]["message"])
    assert parsed is not None
    assert [p.node_pool for p in parsed] == ["teama-spot", "teama-on-demand"]
    assert parsed[0].reason == ("incompatible requirements, key karpenter.sh/capacity-type, karpenter.sh/capacity-type"
                                " In [on-demand] not in karpenter.sh/capacity-type In [spot]")  # fmt: skip
    assert parsed[1].reason.startswith("unsatisfiable topology constraint for topology spread")
    assert parsed[1].reason.endswith("nodeDomains = topology.kubernetes.io/zone In [us-east-1a])")


def test_every_karpenter_fixture_parses_and_the_scheduler_s_does_not() -> None:
    for event in FIXTURES:
        parsed = parse_failed_scheduling(event["message"])
        if event["source"] == "karpenter":
            assert parsed, event["note"]
            assert all(p.reason for p in parsed)
        else:
            assert parsed is None, event["note"]


def test_an_overhead_that_is_not_json_is_left_out_not_fatal() -> None:
    parsed = parse_failed_scheduling('incompatible with nodepool "a", daemonset overhead={oops, taints')
    assert parsed == [NodePoolRejection(node_pool="a", reason="daemonset overhead={oops, taints")]


@given(st.text(max_size=300))
def test_any_text_is_either_none_or_a_list(message: str) -> None:
    parsed = parse_failed_scheduling(message)
    assert parsed is None or all(isinstance(p, NodePoolRejection) for p in parsed)
