"""The agent's Helm chart (chart/agent), through Helm's own engine.

What the Deployment's environment says is read by the agent's own settings parser, and the
RBAC it installs is the same set of objects the console chart and `periscope rbac` produce.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from periscope_core.domain.tier_rbac import chart_rbac_data, periscope_rbac_objects
from periscope_entrypoints.cli.agent_command import agent_config

from . import helm_engine
from .helm_engine import helm

CHART = Path(__file__).parents[2] / "chart" / "agent"
NAMESPACE = "periscope-agent"
RELEASE = "periscope-agent"


def ci_values(name: str, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load((CHART / "ci" / f"{name}.yaml").read_text())
    values = copy.deepcopy(values)
    for key, value in changes.items():
        values[key] = {**values.get(key, {}), **value}
    return values


def render(values: dict[str, Any]) -> list[dict[str, Any]]:
    return helm_engine.render(CHART, values, release=RELEASE, namespace=NAMESPACE)


def one(docs: list[dict[str, Any]], kind: str, name: str = RELEASE) -> dict[str, Any]:
    [found] = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def pod_spec(docs: list[dict[str, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = one(docs, "Deployment")["spec"]["template"]["spec"]
    return spec


def container_env(docs: list[dict[str, Any]]) -> dict[str, Any]:
    [container] = pod_spec(docs)["containers"]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def rbac(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in docs if d["apiVersion"].startswith("rbac.authorization.k8s.io/")]


def test_the_agent_accepts_the_environment_it_is_given() -> None:
    docs = render(ci_values("minimal-values"))
    env = container_env(docs)
    config = agent_config({k: v for k, v in env.items() if isinstance(v, str)})
    assert (config.server_url, config.cluster) == ("wss://agents.periscope.example.com:8443", "prod-eu")
    assert config.registration_url == "https://periscope.example.com"
    assert config.health == ("0.0.0.0", 8081)
    assert str(config.state_dir) == "/var/lib/periscope-agent"
    # The token reaches the pod from a Secret, never as a literal in the Deployment.
    secret = f"{RELEASE}-bootstrap"
    assert env["PERISCOPE_REGISTRATION_TOKEN"] == {"secretKeyRef": {"name": secret,
                                                                    "key": "PERISCOPE_REGISTRATION_TOKEN"}}  # fmt: skip
    assert one(docs, "Secret", secret)["stringData"] == {"PERISCOPE_REGISTRATION_TOKEN": "not-a-real-token"}
    [container] = pod_spec(docs)["containers"]
    assert container["args"] == ["agent"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}


def test_a_pinned_install_without_a_token_keeps_no_secret_and_no_claim() -> None:
    docs = render(ci_values("pinned-values"))
    config = agent_config({k: v for k, v in container_env(docs).items() if isinstance(v, str)})
    assert config.server_ca_hash == "sha256:" + "0123456789abcdef" * 4
    assert config.registration_url == "https://periscope.corp.internal:8443"  # the tunnel host, as https
    assert config.token == ""
    assert {d["kind"] for d in docs} & {"Secret", "PersistentVolumeClaim"} == set()
    assert {"name": "state", "emptyDir": {}} in pod_spec(docs)["volumes"]


def test_the_identity_lives_on_a_claim_helm_keeps() -> None:
    docs = render(ci_values("minimal-values", persistence={"storageClass": "gp3"}))
    claim = one(docs, "PersistentVolumeClaim", f"{RELEASE}-state")
    assert claim["metadata"]["annotations"] == {"helm.sh/resource-policy": "keep"}
    assert claim["spec"]["storageClassName"] == "gp3"
    volumes = pod_spec(docs)["volumes"]
    assert {"name": "state", "persistentVolumeClaim": {"claimName": f"{RELEASE}-state"}} in volumes
    # One identity per cluster: a rolling update would run two agents on one certificate.
    assert one(docs, "Deployment")["spec"]["strategy"] == {"type": "Recreate"}


def test_the_embedded_rbac_is_generated_from_the_code() -> None:
    embedded = json.loads((CHART / "files" / "rbac.json").read_text())
    assert embedded == chart_rbac_data(), "run scripts/chart-rbac to regenerate chart/agent/files/rbac.json"


def test_the_rendered_rbac_is_what_periscope_rbac_produces_for_the_agent() -> None:
    expected = periscope_rbac_objects(service_accounts=[(NAMESPACE, RELEASE)])
    assert rbac(render(ci_values("minimal-values"))) == expected
    raw = periscope_rbac_objects(extra_groups=["periscope:sre"], service_accounts=[(NAMESPACE, RELEASE)])
    assert rbac(render(ci_values("pinned-values"))) == raw
    assert rbac(render(ci_values("minimal-values", clusterRBAC={"enabled": False}))) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"agent": {"serverURL": "agents.example.com:8443"}}, "serverURL"),
        ({"agent": {"clusterName": "Prod_EU"}}, "clusterName"),
        ({"agent": {"serverCAHash": "sha1:abcd"}}, "serverCAHash"),
        ({"agent": {"logLevel": "verbose"}}, "logLevel"),
        ({"agent": {"healthPort": 0}}, "healthPort"),
        ({"clusterRBAC": {"rawGroups": ["System:masters"]}}, "rawGroups"),
    ],
)
def test_the_schema_refuses_values_the_agent_would_not_run_with(change: dict[str, Any], message: str) -> None:
    with pytest.raises(helm.HelmValuesError, match=message):
        helm.Chart.load(str(CHART)).validate_schema(ci_values("minimal-values", **change))


def test_a_missing_server_url_is_refused_with_a_reason() -> None:
    values = ci_values("minimal-values")
    del values["agent"]["serverURL"]
    with pytest.raises(helm.HelmError, match="serverURL"):
        render(values)
