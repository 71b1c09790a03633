"""How fast a pod list becomes summary rows, against the generated-client baseline.

The console decodes list bodies straight into small msgspec Structs (the browse
projections). The baseline, measured in the same run on the same bytes, is what a
kubernetes-asyncio client does by default: deserialize into V1PodList models.

    .venv/bin/python bench/list_decode.py [--pods 10000] [--baseline-pods 1000]

Prints per-pod cost of both, the speed-up ratio and the encoded size of the rows.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time
import tracemalloc
from typing import Any

import msgspec

from periscope_core.services.projections import project_list


def _pod(i: int) -> dict[str, Any]:
    """A pod of realistic size (~9 KB of JSON): two containers, env, probes, managedFields."""
    env = [{"name": f"VAR_{n}", "value": f"value-{n}-" + "x" * 20} for n in range(10)]
    probe = {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"}, "periodSeconds": 10,
             "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3}
    container = {
        "name": "app", "image": "registry.example.com/shop/api:1.2.3", "env": env,
        "ports": [{"containerPort": 8080, "protocol": "TCP", "name": "http"}],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
        "livenessProbe": probe, "readinessProbe": probe,
        "volumeMounts": [{"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                          "readOnly": True}],
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
    }
    sidecar = {**container, "name": "proxy", "image": "registry.example.com/mesh/proxy:1.20"}
    fields = {"f:metadata": {"f:labels": {"f:app": {}, "f:pod-template-hash": {}}},
              "f:spec": {"f:containers": {'k:{"name":"app"}': {".": {}, "f:image": {}, "f:env": {}}}}}
    status_c = {"name": "app", "ready": True, "restartCount": i % 4, "image": container["image"],
                "imageID": "sha256:" + "ab" * 32, "containerID": "containerd://" + "cd" * 32,
                "started": True, "state": {"running": {"startedAt": "2026-11-01T10:00:00Z"}}}
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": f"api-7d9f8b6c5d-{i:06d}", "namespace": f"team-{i % 20}", "uid": f"uid-{i:032d}",
            "resourceVersion": str(100000 + i), "creationTimestamp": "2026-11-01T10:00:00Z",
            "labels": {"app": "api", "pod-template-hash": "7d9f8b6c5d", "team": f"team-{i % 20}"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "api-7d9f8b6c5d",
                                 "uid": "rs-uid", "controller": True, "blockOwnerDeletion": True}],
            "managedFields": [
                {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
                 "time": "2026-11-01T10:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": fields},
                {"manager": "kubelet", "operation": "Update", "apiVersion": "v1", "subresource": "status",
                 "time": "2026-11-01T10:00:05Z", "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {}}},
            ],
        },
        "spec": {"containers": [container, sidecar], "nodeName": f"node-{i % 50}", "restartPolicy": "Always",
                 "serviceAccountName": "api", "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler",
                 "volumes": [{"name": "kube-api-access", "projected": {"sources": [{"serviceAccountToken": {
                     "expirationSeconds": 3607, "path": "token"}}]}}]},
        "status": {
            "phase": "Running", "podIP": f"10.0.{i // 250 % 250}.{i % 250}", "hostIP": "192.168.1.10",
            "startTime": "2026-11-01T10:00:00Z", "qosClass": "Burstable",
            "conditions": [{"type": t, "status": "True", "lastTransitionTime": "2026-11-01T10:00:05Z"}
                           for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
            "containerStatuses": [status_c, {**status_c, "name": "proxy"}],
        },
    }


def _pod_list(n: int) -> bytes:
    return msgspec.json.encode({"apiVersion": "v1", "kind": "PodList",
                                "metadata": {"resourceVersion": "200000"}, "items": [_pod(i) for i in range(n)]})


def _timed(fn: Any, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _baseline(body: bytes) -> float:
    from kubernetes_asyncio.client import ApiClient

    class _Response:
        def __init__(self, data: bytes) -> None:
            self.data = data

    async def measure() -> float:
        # The client builds its connection pool on construction, which needs a loop.
        async with ApiClient() as client:
            return _timed(lambda: client.deserialize(_Response(body), "V1PodList"), repeat=2)

    return asyncio.run(measure())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--baseline-pods", type=int, default=1_000)
    args = parser.parse_args()

    body = _pod_list(args.pods)
    base_body = _pod_list(args.baseline_pods)
    ours = _timed(lambda: project_list("pods", body), repeat=3)
    base = _baseline(base_body)
    rows = project_list("pods", body)
    encoded = msgspec.json.encode(rows)

    tracemalloc.start()
    project_list("pods", body)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    ours_us = ours / args.pods * 1e6
    base_us = base / args.baseline_pods * 1e6
    print(json.dumps({
        "pods": args.pods,
        "body_mb": round(len(body) / 1e6, 1),
        "projection_ms_total": round(ours * 1e3, 1),
        "projection_us_per_pod": round(ours_us, 2),
        "baseline_kubernetes_asyncio_us_per_pod": round(base_us, 1),
        "speedup_vs_baseline": round(base_us / ours_us, 1),
        "rows_bytes_per_pod": round(len(encoded) / args.pods),
        "projection_peak_mb": round(peak / 1e6, 1),
    }, indent=2))


if __name__ == "__main__":
    main()
