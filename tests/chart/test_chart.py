"""The Helm chart, through Helm's own engine: lint, schema, rendering, and what the server makes of it.

Rendered manifests are checked against the Kubernetes OpenAPI schemas (kubernetes-validate),
the files the chart mounts are read by the server's own loaders, the Deployment's
environment by the server's own settings, and the RBAC is applied to a sandbox cluster,
where the real kubectl asks what the server's service account may impersonate.
"""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from periscope_adapters.sandbox import SandboxFleet
from periscope_core.domain.auth_config import parse_auth_config
from periscope_core.domain.tier_rbac import chart_rbac_data, periscope_rbac_objects
from periscope_core.services.registry import parse_registry
from periscope_entrypoints.settings import Settings

from . import helm_engine
from .helm_engine import helm

CHART = Path(__file__).parents[2] / "chart"
KUBECTL = Path("/usr/bin/kubectl")
NAMESPACE = "periscope"
CI_VALUES = sorted(p.stem for p in (CHART / "ci").glob("*.yaml"))


def ci_values(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((CHART / "ci" / f"{name}.yaml").read_text())
    return loaded


def render(values: dict[str, Any]) -> list[dict[str, Any]]:
    return helm_engine.render(CHART, values, release="periscope", namespace=NAMESPACE)


def one(docs: list[dict[str, Any]], kind: str, name: str = "periscope") -> dict[str, Any]:
    [found] = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def kinds(docs: list[dict[str, Any]]) -> set[str]:
    return {d["kind"] for d in docs}


def container_env(docs: list[dict[str, Any]]) -> dict[str, Any]:
    [container] = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def with_changes(name: str, **changes: Any) -> dict[str, Any]:
    values = copy.deepcopy(ci_values(name))
    values.update(changes)
    return values


@pytest.mark.parametrize("name", CI_VALUES)
def test_the_server_accepts_the_files_and_environment_it_is_given(name: str) -> None:
    docs = render(ci_values(name))
    auth = parse_auth_config(one(docs, "ConfigMap", "periscope-auth")["data"]["auth.yaml"], source="auth.yaml")
    registry = parse_registry(one(docs, "ConfigMap", "periscope-clusters")["data"]["clusters.yaml"],
                              source="clusters.yaml")  # fmt: skip
    assert auth.oidc.issuer == "https://idp.example.com/"
    assert registry.names == [c["name"] for c in ci_values(name)["clusters"]]
    env = {k: v for k, v in container_env(docs).items() if isinstance(v, str)}
    settings = Settings.from_env(env)
    assert (settings.host, settings.port) == ("0.0.0.0", 8080)
    assert (settings.auth_file, settings.clusters_file) == ("/etc/periscope/auth.yaml", "/etc/periscope/clusters.yaml")
    assert settings.audit.enabled == ci_values(name).get("audit", {}).get("enabled", False)


def test_feature_values_reach_the_server_settings() -> None:
    docs = render(ci_values("full-values"))
    env = container_env(docs)
    settings = Settings.from_env({k: v for k, v in env.items() if isinstance(v, str)})
    assert settings.exec_idle_seconds == 900
    assert (settings.probe_clusters_on_boot, settings.exec_recording, settings.exec_record_input) == (True, True, False)
    assert settings.watch_per_user_limit == 20
    assert [settings.watch_streams.enabled(kind) for kind in ("pods", "ingresses")] == [True, False]
    assert env["PERISCOPE_COMMIT"] == "abc123"  # env[] is appended last
    assert list(env)[-1] == "PERISCOPE_COMMIT"
    assert env["PERISCOPE_SESSION_SECRET"] == {"secretKeyRef": {"name": "periscope-session",
                                                                "key": "PERISCOPE_SESSION_SECRET"}}  # fmt: skip
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    assert {"name": "kubeconfigs", "secret": {"secretName": "periscope-kubeconfigs"}} in pod["volumes"]
    data = next(v for v in pod["volumes"] if v["name"] == "data")
    assert data["emptyDir"] == {"sizeLimit": "2048Mi"}  # twice audit.maxSizeMB, as the original


def test_agent_values_reach_the_server_and_open_the_tunnel_port() -> None:
    docs = render(ci_values("agent-values"))
    settings = Settings.from_env({k: v for k, v in container_env(docs).items() if isinstance(v, str)})
    assert settings.agent_listen_addr == ":8443"
    assert settings.agent_tunnel_sans == ("agents.periscope.example.com", "localhost")
    [container] = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert {"name": "agent-tunnel", "containerPort": 8443, "protocol": "TCP"} in container["ports"]
    tunnel = one(docs, "Service", "periscope-agent-tunnel")
    assert tunnel["spec"]["type"] == "LoadBalancer"
    assert tunnel["spec"]["ports"] == [{"name": "agent-tunnel", "port": 8443, "targetPort": "agent-tunnel",
                                        "protocol": "TCP"}]  # fmt: skip
    assert tunnel["metadata"]["annotations"] == {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}
    # The CA lives in the data volume: a claim keeps it (and every agent's registration) across restarts.
    assert one(docs, "PersistentVolumeClaim", "periscope-audit")
    assert {"ports": [{"port": "agent-tunnel", "protocol": "TCP"}]} in one(docs, "NetworkPolicy")["spec"]["ingress"]


def test_the_tunnel_is_off_without_agents() -> None:
    docs = render(ci_values("minimal-values"))
    assert not any(name.startswith("PERISCOPE_AGENT_") for name in container_env(docs))
    assert [d for d in docs if d["metadata"]["name"] == "periscope-agent-tunnel"] == []
    moved = render(with_changes("minimal-values", agent={"enabled": True, "listenAddr": "0.0.0.0:9443"}))
    assert container_env(moved)["PERISCOPE_AGENT_LISTEN_ADDR"] == "0.0.0.0:9443"
    [container] = one(moved, "Deployment")["spec"]["template"]["spec"]["containers"]
    assert container["ports"][-1] == {"name": "agent-tunnel", "containerPort": 9443, "protocol": "TCP"}


def test_a_values_change_rolls_the_pods() -> None:
    def annotations(values: dict[str, Any]) -> dict[str, str]:
        metadata: dict[str, str] = one(render(values), "Deployment")["spec"]["template"]["metadata"]["annotations"]
        return metadata

    before = annotations(ci_values("minimal-values"))
    changed = with_changes("minimal-values", clusters=[{"name": "other", "backend": "in-cluster"}])
    after = annotations(changed)
    assert before["checksum/auth"] == after["checksum/auth"]
    assert before["checksum/clusters"] != after["checksum/clusters"]


OIDC_REF = {"name": "periscope-oidc", "key": "OIDC_CLIENT_SECRET"}


@pytest.mark.parametrize(
    ("mode", "extra", "secret_kind", "env_ref"),
    [
        ("existing", {}, None, OIDC_REF),
        ("plain", {"plain": {"clientSecret": "s3cret"}}, "Secret", OIDC_REF),
        ("external", {"external": {"storeName": "aws", "remoteKey": "prod/periscope/oidc", "remoteProperty": "secret"}},
         "ExternalSecret", OIDC_REF),
        ("native", {}, None, None),
    ],
)  # fmt: skip
def test_secret_modes(
    mode: str, extra: dict[str, Any], secret_kind: str | None, env_ref: dict[str, str] | None
) -> None:
    values = with_changes("minimal-values", secrets={"mode": mode, **extra})
    if mode == "native":
        values["auth"]["oidc"]["clientSecret"] = "aws-ssm:///prod/periscope/oidc-client-secret"
    docs = render(values)
    env = container_env(docs)
    assert env.get("OIDC_CLIENT_SECRET") == ({"secretKeyRef": env_ref} if env_ref else None)
    assert ({"Secret", "ExternalSecret"} & kinds(docs)) == ({secret_kind} if secret_kind else set())
    auth = parse_auth_config(one(docs, "ConfigMap", "periscope-auth")["data"]["auth.yaml"], source="auth.yaml")
    expected = "aws-ssm:///prod/periscope/oidc-client-secret" if mode == "native" else "${OIDC_CLIENT_SECRET}"
    assert auth.oidc.clientSecret == expected
    if mode == "plain":
        assert one(docs, "Secret", "periscope-oidc")["stringData"] == {"OIDC_CLIENT_SECRET": "s3cret"}
    if mode == "external":
        spec = one(docs, "ExternalSecret", "periscope-oidc")["spec"]
        assert spec["secretStoreRef"] == {"name": "aws", "kind": "ClusterSecretStore"}
        assert spec["data"] == [{"secretKey": "OIDC_CLIENT_SECRET",
                                 "remoteRef": {"key": "prod/periscope/oidc", "property": "secret"}}]  # fmt: skip


def test_optional_objects_follow_their_switches() -> None:
    minimal = kinds(render(ci_values("minimal-values")))
    assert minimal == {"ServiceAccount", "ConfigMap", "Deployment", "Service", "PodDisruptionBudget"}
    full = kinds(render(ci_values("full-values")))
    assert {"Ingress", "NetworkPolicy", "ClusterRole", "ClusterRoleBinding"} <= full
    assert "PersistentVolumeClaim" not in full  # audit on emptyDir
    assert "PersistentVolumeClaim" in kinds(render(ci_values("in-cluster-values")))


def test_the_network_policy_always_allows_name_resolution() -> None:
    policy = one(render(ci_values("full-values")), "NetworkPolicy")["spec"]
    assert policy["egress"][0]["ports"] == [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
    assert policy["ingress"][0]["from"] == [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "ingress-nginx"}}}]  # fmt: skip


def test_the_embedded_rbac_is_generated_from_the_code() -> None:
    embedded = json.loads((CHART / "files" / "rbac.json").read_text())
    assert embedded == chart_rbac_data(), "run scripts/chart-rbac to regenerate chart/files/rbac.json"


def _rbac(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in docs if d["apiVersion"].startswith("rbac.authorization.k8s.io/")]


def test_rendered_rbac_is_what_the_sandbox_is_seeded_with() -> None:
    in_cluster = _rbac(render(ci_values("in-cluster-values")))
    assert in_cluster == periscope_rbac_objects(service_accounts=[(NAMESPACE, "periscope")])
    raw = _rbac(render(ci_values("full-values")))
    assert raw == periscope_rbac_objects(extra_groups=["periscope:sre", "periscope:devs"])
    assert _rbac(render(ci_values("minimal-values"))) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"clusters": [{"name": "prod", "backend": "rancher"}]}, "backend"),
        ({"agent": {"listenAddr": "8443"}}, "listenAddr"),
        ({"agent": {"caSecretName": "periscope-agent-ca"}}, "caSecretName"),
        ({"clusters": [{"name": "prod", "backend": "eks", "region": "eu-west-1"}]}, "arn"),
        ({"clusters": [{"name": "prod", "backend": "eks", "region": "eu-west-1", "arn": "arn:aws:eks:x"}]}, "arn"),
        ({"clusters": [{"name": "prod", "backend": "kubeconfig"}]}, "kubeconfigPath"),
        ({"clusters": [{"name": "Prod_1", "backend": "in-cluster"}]}, "name"),
        ({"replicaCount": 2}, "replicaCount"),
        ({"secrets": {"mode": "vault-agent"}}, "mode"),
        ({"clusterRBAC": {"enabled": True, "rawGroups": ["system:masters"]}}, "rawGroups"),
        ({"exec": {"serverIdleSeconds": 0}}, "serverIdleSeconds"),
        ({"audit": {"vacuumInterval": "daily"}}, "vacuumInterval"),
    ],
)  # fmt: skip
def test_the_schema_refuses_values_the_server_would_not_run_with(change: dict[str, Any], message: str) -> None:
    values = with_changes("minimal-values", **change)
    with pytest.raises(helm.HelmValuesError, match=message):
        helm.Chart.load(str(CHART)).validate_schema(values)


def test_a_missing_issuer_fails_the_render_with_a_reason() -> None:
    values = with_changes("minimal-values", auth={"oidc": {"clientID": "x", "redirectURL": "https://x/cb"}})
    with pytest.raises(helm.HelmError, match=r"auth\.oidc\.issuer is required"):
        render(values)


# -- applied to a sandbox cluster ------------------------------------------------------------


@pytest.fixture(scope="module")
def kubectl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not KUBECTL.exists():
        pytest.skip("kubectl is not installed at /usr/bin/kubectl")
    from anyio.from_thread import start_blocking_portal

    tmp = tmp_path_factory.mktemp("chart-apply")
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(SandboxFleet.start(churn=False)) as fleet:
        kubeconfig = tmp / "kubeconfig"
        fleet.write_kubeconfig(kubeconfig)

        def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
            argv = [str(KUBECTL), "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp / "cache"), *args]
            return subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=60, check=False)

        yield run


def test_the_in_cluster_install_applies_and_its_service_account_impersonates_only_tiers(kubectl: Any) -> None:
    docs = render(ci_values("in-cluster-values"))
    assert kubectl("create", "namespace", NAMESPACE).returncode == 0
    # The sandbox is seeded with the same RBAC under another manager: the release takes it over.
    applied = kubectl("apply", "--server-side", "--force-conflicts", "--field-manager", "helm", "-f", "-",
                      stdin=yaml.safe_dump_all(docs))  # fmt: skip
    assert applied.returncode == 0, applied.stderr
    assert kubectl("-n", NAMESPACE, "get", "deployment/periscope", "configmap/periscope-auth",
                   "persistentvolumeclaim/periscope-audit").returncode == 0  # fmt: skip
    sa = f"system:serviceaccount:{NAMESPACE}:periscope"

    def may(verb_resource: str) -> str:
        return kubectl("auth", "can-i", "impersonate", verb_resource, "--as", sa).stdout.strip()

    assert may("groups/periscope-tier:read") == "yes"
    assert may("users/alice@example.com") == "yes"
    assert may("groups/system:masters") == "no"
    # What the tier roles grant is what the server's tier mode relies on.
    as_read = ["--as", "alice@example.com", "--as-group", "periscope-tier:read"]
    assert kubectl("auth", "can-i", "list", "pods", "-A", *as_read).stdout.strip() == "yes"
    assert kubectl("auth", "can-i", "delete", "pods", "-n", "default", *as_read).stdout.strip() == "no"
