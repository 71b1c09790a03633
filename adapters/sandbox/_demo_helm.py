"""Helm releases in the demo, stored exactly as Helm v3 stores them.

Each revision is a ``helm.sh/release.v1`` Secret named ``sh.helm.release.v1.<release>.v<n>``,
labelled ``owner=helm, name, status, version``, whose ``release`` key holds base64(gzip(JSON))
of Helm's release record (so the apiserver shows it base64-encoded twice). ``edge`` runs Helm
with ``HELM_DRIVER=configmap``: there the same string sits in a ConfigMap, encoded once.

``prod`` has ingress-nginx at its third revision (the last one raised the replicas and moved
the controller image), cert-manager, and a payments-api whose upgrade failed; ``staging`` is
one ingress-nginx release ahead. The objects of a release's newest deployed revision are
created as Helm applied them, unless the demo already has them.
"""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import yaml

from periscope_adapters.sandbox._manifests import (
    cluster_role,
    config_map,
    container,
    deployment,
    namespace,
    service,
    stateful_set,
)
from periscope_adapters.sandbox._objects import Obj, clone
from periscope_adapters.sandbox._seed import Seeder
from periscope_core.domain.helm_release import storage_name

__all__ = ["encode_release", "release_object", "seed_helm_edge", "seed_helm_prod", "seed_helm_staging"]

Driver = Literal["secret", "configmap"]

_NEVER = "0001-01-01T00:00:00Z"
"""Go's zero time: what Helm writes as ``deleted`` for a release that was not uninstalled."""


@dataclass(frozen=True)
class _Chart:
    name: str
    description: str
    home: str
    icon: str = ""
    defaults: Obj | None = None
    """The chart's values.yaml: stored with the chart, never shown as the user's values."""


@dataclass(frozen=True)
class _Revision:
    chart_version: str
    app_version: str
    values: Obj
    """What the user passed (``--set``, ``-f``): Helm's ``config``."""
    objects: list[tuple[str, Obj]]
    """(template file, rendered object), in the order Helm renders them."""
    status: str
    description: str
    after: timedelta
    """When it was deployed, counted from the cluster's creation."""
    notes: str = ""


def encode_release(release: Obj) -> str:
    """Helm's encodeRelease: the JSON, gzipped at best compression, in standard base64."""
    data = gzip.compress(json.dumps(release, separators=(",", ":")).encode(), compresslevel=9, mtime=0)
    return base64.b64encode(data).decode()


def release_object(release: Obj, *, driver: Driver = "secret") -> Obj:
    """The Secret (or ConfigMap) Helm's storage driver writes for one revision of ``release``."""
    name, revision = release["name"], release["version"]
    meta = {"name": storage_name(name, revision), "namespace": release["namespace"],
            "labels": {"name": name, "owner": "helm", "status": release["info"]["status"], "version": str(revision)}}
    encoded = encode_release(release)
    if driver == "configmap":
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"release": encoded}}
    return {"apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1", "metadata": meta,
            "data": {"release": base64.b64encode(encoded.encode()).decode()}}  # fmt: skip


def _go_time(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _manifest(chart: _Chart, objects: list[tuple[str, Obj]]) -> str:
    return "".join(f"---\n# Source: {chart.name}/templates/{template}\n{yaml.safe_dump(obj, sort_keys=False)}"
                   for template, obj in objects)  # fmt: skip


def _record(chart: _Chart, name: str, ns: str, number: int, revision: _Revision, first: datetime,
            created: datetime) -> Obj:  # fmt: skip
    return {
        "name": name,
        "info": {
            "first_deployed": _go_time(first), "last_deployed": _go_time(created + revision.after),
            "deleted": _NEVER, "description": revision.description, "status": revision.status,
            "notes": revision.notes,
        },
        "chart": {
            "metadata": {
                "name": chart.name, "home": chart.home, "version": revision.chart_version,
                "description": chart.description, "icon": chart.icon, "apiVersion": "v2",
                "appVersion": revision.app_version, "type": "application",
            },
            "lock": None, "templates": [], "values": chart.defaults or {}, "schema": None, "files": [],
        },
        "config": revision.values,
        "manifest": _manifest(chart, revision.objects),
        "version": number,
        "namespace": ns,
    }  # fmt: skip


def _seed_release(seed: Seeder, chart: _Chart, name: str, ns: str, revisions: list[_Revision], *,
                  driver: Driver = "secret", install: bool = True) -> None:  # fmt: skip
    """Every revision's storage object; with ``install``, the newest deployed revision's objects too."""
    created = datetime.fromisoformat(seed.now())
    first = created + revisions[0].after
    for number, revision in enumerate(revisions, start=1):
        seed.create(release_object(_record(chart, name, ns, number, revision, first, created), driver=driver))
    deployed = [r for r in revisions if r.status == "deployed"]
    if install and deployed:
        for _, obj in deployed[-1].objects:
            live = clone(obj)
            live["metadata"].setdefault("annotations", {}).update(
                {"meta.helm.sh/release-name": name, "meta.helm.sh/release-namespace": ns})
            seed.create(live)


def _labelled(obj: Obj, chart: _Chart, release: str, chart_version: str, app_version: str, component: str) -> Obj:
    """The labels every chart built with ``helm create`` puts on its objects."""
    obj["metadata"].setdefault("labels", {}).update({
        "helm.sh/chart": f"{chart.name}-{chart_version}", "app.kubernetes.io/name": chart.name,
        "app.kubernetes.io/instance": release, "app.kubernetes.io/version": app_version,
        "app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/component": component,
    })  # fmt: skip
    return obj


# -- ingress-nginx ------------------------------------------------------------------------------

_INGRESS_NGINX = _Chart(
    name="ingress-nginx",
    description="Ingress controller for Kubernetes using NGINX as a reverse proxy and load balancer",
    home="https://github.com/kubernetes/ingress-nginx",
    icon="https://upload.wikimedia.org/wikipedia/commons/thumb/c/c5/Nginx_logo.svg/500px-Nginx_logo.svg.png",
    defaults={"controller": {"replicaCount": 1, "image": {"registry": "registry.k8s.io",
                                                         "image": "ingress-nginx/controller"},
                             "ingressClassResource": {"name": "nginx", "enabled": True, "default": False},
                             "service": {"type": "LoadBalancer"}, "config": {}}},
)
_NGINX_NOTES = """The ingress-nginx controller has been installed.
It may take a few minutes for the load balancer IP to be available.
You can watch the status by running
'kubectl get service --namespace ingress-nginx ingress-nginx-controller --output wide --watch'

An example Ingress that makes use of the controller:
  apiVersion: networking.k8s.io/v1
  kind: Ingress
  metadata:
    name: example
    namespace: foo
  spec:
    ingressClassName: nginx
    rules:
      - host: www.example.com
"""


def _ingress_nginx(chart_version: str, app_version: str, replicas: int,
                   config: dict[str, str]) -> list[tuple[str, Obj]]:  # fmt: skip
    ns, name = "ingress-nginx", "ingress-nginx-controller"

    def labelled(obj: Obj) -> Obj:
        return _labelled(obj, _INGRESS_NGINX, "ingress-nginx", chart_version, app_version, "controller")

    controller = container(
        "controller", f"registry.k8s.io/ingress-nginx/controller:v{app_version}", port=80, cpu="100m", memory="90Mi",
        args=("/nginx-ingress-controller", f"--publish-service=$(POD_NAMESPACE)/{name}",
              "--election-id=ingress-nginx-leader", "--controller-class=k8s.io/ingress-nginx",
              "--ingress-class=nginx", f"--configmap=$(POD_NAMESPACE)/{name}"),
    )  # fmt: skip
    subject = {"kind": "ServiceAccount", "name": "ingress-nginx", "namespace": ns}
    return [
        ("controller-serviceaccount.yaml",
         labelled({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "ingress-nginx", "namespace": ns},
                   "automountServiceAccountToken": True})),
        ("controller-configmap.yaml", labelled(config_map(ns, name, {"allow-snippet-annotations": "false", **config}))),
        ("clusterrole.yaml", labelled(cluster_role("ingress-nginx", [
            {"apiGroups": [""], "resources": ["configmaps", "endpoints", "nodes", "pods", "secrets", "namespaces"],
             "verbs": ["list", "watch"]},
            {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses", "ingressclasses"],
             "verbs": ["get", "list", "watch"]},
        ]))),
        ("clusterrolebinding.yaml",
         labelled({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                   "metadata": {"name": "ingress-nginx"},
                   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "ingress-nginx"},
                   "subjects": [subject]})),
        ("controller-service.yaml", labelled(service(ns, name, port=80, target=80))),
        ("controller-deployment.yaml", labelled(deployment(ns, name, [controller], replicas=replicas))),
        ("controller-ingressclass.yaml",
         labelled({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "nginx"},
                   "spec": {"controller": "k8s.io/ingress-nginx"}})),
    ]  # fmt: skip


def _nginx_revision(chart_version: str, app_version: str, replicas: int, status: str, description: str,
                    after: timedelta, config: dict[str, str] | None = None) -> _Revision:  # fmt: skip
    values: Obj = {"controller": {"replicaCount": replicas, "metrics": {"enabled": True}}}
    if config:
        values["controller"]["config"] = config
    return _Revision(chart_version, app_version, values, _ingress_nginx(chart_version, app_version, replicas,
                                                                         config or {}),
                     status, description, after, _NGINX_NOTES)  # fmt: skip


# -- cert-manager -------------------------------------------------------------------------------

_CERT_MANAGER = _Chart(
    name="cert-manager",
    description="A Helm chart for cert-manager",
    home="https://cert-manager.io",
    icon="https://raw.githubusercontent.com/cert-manager/community/4d35a69437d21b76322157e6284be4cd64e6d2b7/logo/logo-small.png",
    defaults={"replicaCount": 1, "crds": {"enabled": False, "keep": True}, "prometheus": {"enabled": True}},
)


def _cert_manager() -> _Revision:
    ns, version = "cert-manager", "v1.16.2"

    def labelled(obj: Obj, component: str) -> Obj:
        return _labelled(obj, _CERT_MANAGER, "cert-manager", version, version, component)

    def workload(name: str, image: str, port: int) -> Obj:
        return deployment(ns, name, [container(name, f"quay.io/jetstack/{image}:{version}", port=port, memory="64Mi")],
                          replicas=1)  # fmt: skip

    objects = [
        ("serviceaccount.yaml", labelled({"apiVersion": "v1", "kind": "ServiceAccount",
                                          "metadata": {"name": "cert-manager", "namespace": ns}}, "controller")),
        ("webhook-service.yaml", labelled(service(ns, "cert-manager-webhook", port=443, target=10250), "webhook")),
        ("deployment.yaml", labelled(workload("cert-manager", "cert-manager-controller", 9402), "controller")),
        ("webhook-deployment.yaml",
         labelled(workload("cert-manager-webhook", "cert-manager-webhook", 10250), "webhook")),
        ("cainjector-deployment.yaml",
         labelled(workload("cert-manager-cainjector", "cert-manager-cainjector", 9402), "cainjector")),
    ]  # fmt: skip
    notes = ("cert-manager v1.16.2 has been deployed successfully!\n\nIn order to begin issuing certificates, "
             "you will need to set up a ClusterIssuer\nor Issuer resource (for example, by creating a "
             "'letsencrypt-staging' issuer).\n\nMore information on the different types of issuers and how to "
             "configure them\ncan be found in our documentation:\n\n"
             "https://cert-manager.io/docs/configuration/\n")
    values: Obj = {"crds": {"enabled": True}, "prometheus": {"servicemonitor": {"enabled": True}}}
    return _Revision(version, version, values, objects, "deployed", "Install complete", timedelta(hours=2), notes)


# -- payments-api (the team's own chart) ----------------------------------------------------------

_PAYMENTS_API = _Chart(name="payments-api", description="Acme payments API", home="https://git.acme.example/payments",
                       defaults={"replicaCount": 1, "image": {"repository": "ghcr.io/acme/payments-api"}})


def _payments_api(version: str, replicas: int, status: str, description: str, after: timedelta,
                  env: dict[str, str] | None = None) -> _Revision:  # fmt: skip
    """Rendered as the demo's own payments-api objects, so an installed revision matches them."""
    objects: list[tuple[str, Obj]] = [
        ("deployment.yaml", deployment("payments", "payments-api",
                                       [container("api", f"ghcr.io/acme/payments-api:{version}", env=env)],
                                       replicas=replicas)),
        ("service.yaml", service("payments", "payments-api")),
    ]  # fmt: skip
    # Values often hold secrets, which is why every read of a revision is audited.
    values: Obj = {"replicaCount": replicas, "image": {"tag": version},
                   "ledger": {"url": "http://ledger", "apiKey": "sandbox-only-not-a-real-key"}}  # fmt: skip
    return _Revision(version, version, values, objects, status, description, after)


# -- the clusters -----------------------------------------------------------------------------------


def seed_helm_prod(seed: Seeder) -> None:
    for ns in ("ingress-nginx", "cert-manager"):
        seed.create(namespace(ns))
    _seed_release(seed, _INGRESS_NGINX, "ingress-nginx", "ingress-nginx", [
        _nginx_revision("4.10.1", "1.10.1", 2, "superseded", "Install complete", timedelta(hours=1)),
        _nginx_revision("4.11.2", "1.11.2", 2, "superseded", "Upgrade complete", timedelta(days=19),
                        {"use-forwarded-headers": "true"}),
        _nginx_revision("4.11.3", "1.11.3", 3, "deployed", "Upgrade complete", timedelta(days=38),
                        {"use-forwarded-headers": "true"}),
    ])  # fmt: skip
    _seed_release(seed, _CERT_MANAGER, "cert-manager", "cert-manager", [_cert_manager()])
    _seed_release(seed, _PAYMENTS_API, "payments-api", "payments", [
        _payments_api("2.7.1", 2, "deployed", "Install complete", timedelta(days=12), {"LEDGER_URL": "http://ledger"}),
        _payments_api("2.8.0", 2, "failed", 'Upgrade "payments-api" failed: context deadline exceeded',
                      timedelta(days=40), {"LEDGER_URL": "http://ledger", "FEATURE_INSTANT_PAYOUTS": "true"}),
    ], install=False)  # fmt: skip


def seed_helm_staging(seed: Seeder) -> None:
    seed.create(namespace("ingress-nginx"))
    _seed_release(seed, _INGRESS_NGINX, "ingress-nginx", "ingress-nginx", [
        _nginx_revision("4.11.3", "1.11.3", 1, "superseded", "Install complete", timedelta(hours=1)),
        _nginx_revision("4.12.0", "1.12.0", 1, "deployed", "Upgrade complete", timedelta(days=7),
                        {"use-forwarded-headers": "true"}),
    ])  # fmt: skip
    _seed_release(seed, _PAYMENTS_API, "payments-api", "payments", [
        _payments_api("2.8.0-rc.1", 1, "deployed", "Install complete", timedelta(days=6)),
    ], install=False)  # fmt: skip


_MOSQUITTO = _Chart(name="mosquitto", description="Eclipse Mosquitto MQTT broker", home="https://mosquitto.org",
                    defaults={"persistence": {"enabled": False}})


def seed_helm_edge(seed: Seeder) -> None:
    """The site's operators run Helm with HELM_DRIVER=configmap."""
    broker = stateful_set("iot", "mqtt", [container("mosquitto", "eclipse-mosquitto:2.0.20", port=1883)])
    revision = _Revision("2.4.1", "2.0.20", {"persistence": {"enabled": True, "size": "1Gi"}},
                         [("statefulset.yaml", broker)], "deployed", "Install complete", timedelta(hours=1))
    _seed_release(seed, _MOSQUITTO, "mqtt", "iot", [revision], driver="configmap", install=False)
