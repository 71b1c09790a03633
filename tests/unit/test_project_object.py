"""One object's row (a watch event's) is the row the list endpoint gives the same object."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from periscope_core.domain.watch_streams import STREAMABLE
from periscope_core.services.projections import PodSummary, project_list, project_object

META = {"name": "web", "namespace": "shop", "uid": "u-1", "resourceVersion": "7",
        "creationTimestamp": "2024-05-01T10:00:00Z", "labels": {"app": "web"}}  # fmt: skip

BODIES: dict[str, dict[str, Any]] = {
    "pods": {
        "spec": {"nodeName": "node-1", "containers": [{"name": "app", "image": "nginx:1.27"}]},
        "status": {"phase": "Running", "podIP": "10.0.0.9", "containerStatuses": [
            {"name": "app", "ready": True, "restartCount": 2,
             "state": {"running": {"startedAt": "2024-05-01T10:00:05Z"}}},
        ]},
    },
    "configmaps": {"data": {"a": "1", "b": "two"}, "binaryData": {"c": "AAEC"}},
    "secrets": {"type": "Opaque", "data": {"password": "c2VjcmV0"}},
    "services": {"spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.10",
                          "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]},
                 "status": {"loadBalancer": {"ingress": [{"hostname": "lb.example.com"}]}}},
    "nodes": {"spec": {"unschedulable": True},
              "status": {"conditions": [{"type": "Ready", "status": "True"}], "nodeInfo": {"kubeletVersion": "v1.32.1"},
                         "capacity": {"cpu": "4", "memory": "16Gi"}}},
    "events": {"type": "Warning", "reason": "BackOff", "message": "Back-off restarting", "count": 3,
               "involvedObject": {"kind": "Pod", "name": "web-0", "namespace": "shop"},
               "lastTimestamp": "2024-05-01T10:05:00Z"},
    "deployments": {"spec": {"replicas": 3}, "status": {"readyReplicas": 2, "updatedReplicas": 3,
                                                        "availableReplicas": 2}},
    "daemonsets": {"status": {"desiredNumberScheduled": 4, "currentNumberScheduled": 4, "numberReady": 3}},
    "jobs": {"spec": {"completions": 2}, "status": {"succeeded": 1, "startTime": "2024-05-01T10:00:00Z"}},
    "cronjobs": {"spec": {"schedule": "*/5 * * * *", "suspend": False},
                 "status": {"lastScheduleTime": "2024-05-01T10:00:00Z"}},
    "namespaces": {"status": {"phase": "Active"}},
}


def _object(plural: str) -> dict[str, Any]:
    return {"metadata": META, **BODIES.get(plural, {"spec": {"anything": ["the generic row ignores it"]}})}


@pytest.mark.parametrize("plural", [*STREAMABLE, "secrets"])
def test_a_single_object_projects_like_a_one_item_list(plural: str) -> None:
    obj = _object(plural)
    listed = project_list(plural, msgspec.json.encode({"metadata": {"resourceVersion": "9"}, "items": [obj]}))
    assert project_object(plural, obj) == listed.items[0]


def test_the_row_is_the_kinds_own_summary() -> None:
    row = project_object("pods", _object("pods"))
    assert isinstance(row, PodSummary)
    assert (row.name, row.node, row.restarts, row.ready) == ("web", "node-1", 2, "1/1")
