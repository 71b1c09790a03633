"""RBAC of the sandbox apiserver: decisions, reasons and Status bodies as kube-apiserver gives them."""

from __future__ import annotations

from typing import Any

import pytest

from periscope_adapters.sandbox._rbac import (
    Attributes,
    Authorizer,
    RbacObjectList,
    UserInfo,
    forbidden_status,
    unauthorized_status,
)
from periscope_adapters.sandbox._rbac_policy import bootstrap_policy
from periscope_adapters.sandbox._rbac_reviews import (
    self_subject_access_review,
    self_subject_review,
    self_subject_rules_review,
)
from periscope_adapters.sandbox._status import ApiError

RBAC = "rbac.authorization.k8s.io"


def role(name: str, rules: list[dict[str, Any]], namespace: str = "", **extra: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, **({"namespace": namespace} if namespace else {})}
    metadata.update(extra.pop("metadata", {}))
    return {"apiVersion": f"{RBAC}/v1", "kind": "Role" if namespace else "ClusterRole",
            "metadata": metadata, "rules": rules, **extra}


def binding(name: str, role_ref: str, *subjects: dict[str, str], namespace: str = "",
            ref_kind: str = "ClusterRole") -> dict[str, Any]:
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": "RoleBinding" if namespace else "ClusterRoleBinding",
        "metadata": {"name": name, **({"namespace": namespace} if namespace else {})},
        "roleRef": {"apiGroup": RBAC, "kind": ref_kind, "name": role_ref},
        "subjects": list(subjects),
    }


def user(name: str) -> dict[str, str]:
    return {"apiGroup": RBAC, "kind": "User", "name": name}


def group(name: str) -> dict[str, str]:
    return {"apiGroup": RBAC, "kind": "Group", "name": name}


def rule(verbs: list[str], resources: list[str], groups: tuple[str, ...] = ("",),
         **extra: Any) -> dict[str, Any]:
    return {"verbs": verbs, "apiGroups": list(groups), "resources": resources, **extra}


def person(name: str, *groups: str) -> UserInfo:
    return UserInfo(name=name, groups=(*groups, "system:authenticated"))


def authorizer(*objects: dict[str, Any]) -> Authorizer:
    return Authorizer(RbacObjectList([*bootstrap_policy(), *objects]))


def can(authz: Authorizer, who: UserInfo, verb: str, resource: str, namespace: str = "", **kw: str) -> bool:
    resource, _, subresource = resource.partition("/")
    group = kw.pop("group", "")
    return authz.authorize(
        Attributes(user=who, verb=verb, group=group, resource=resource, subresource=subresource,
                   namespace=namespace, **kw)
    ).allowed


ALICE, BOB, CAROL, DAVE = person("alice"), person("bob"), person("carol"), person("dave")

TEAM = authorizer(
    binding("alice-view", "view", user("alice"), namespace="default"),
    binding("bob-edit", "edit", user("bob"), namespace="prod"),
    binding("carol-admin", "admin", user("carol"), namespace="team"),
    binding("auditors", "view", group("auditors")),
)

# (who, verb, resource, group, namespace, allowed)
MATRIX = [
    (ALICE, "list", "pods", "", "default", True),
    (ALICE, "watch", "deployments", "apps", "default", True),
    (ALICE, "get", "pods/log", "", "default", True),
    (ALICE, "get", "deployments/scale", "apps", "default", True),
    (ALICE, "get", "configmaps", "", "default", True),
    (ALICE, "get", "secrets", "", "default", False),
    (ALICE, "create", "pods", "", "default", False),
    (ALICE, "create", "pods/exec", "", "default", False),
    (ALICE, "update", "deployments/scale", "apps", "default", False),
    (ALICE, "list", "pods", "", "prod", False),
    (ALICE, "list", "pods", "", "", False),
    (BOB, "create", "deployments", "apps", "prod", True),
    (BOB, "update", "deployments/scale", "apps", "prod", True),
    (BOB, "delete", "secrets", "", "prod", True),
    (BOB, "list", "secrets", "", "prod", True),
    (BOB, "create", "pods/exec", "", "prod", True),
    (BOB, "create", "pods/portforward", "", "prod", True),
    (BOB, "patch", "configmaps", "", "prod", True),
    (BOB, "create", "jobs", "batch", "prod", True),
    (BOB, "update", "deployments/status", "apps", "prod", False),
    (BOB, "create", "roles", RBAC, "prod", False),
    (BOB, "create", "deployments", "apps", "default", False),
    (CAROL, "create", "roles", RBAC, "team", True),
    (CAROL, "delete", "rolebindings", RBAC, "team", True),
    (CAROL, "create", "pods/exec", "", "team", True),
    (CAROL, "list", "pods", "", "team", True),
    (CAROL, "create", "roles", RBAC, "prod", False),
    (CAROL, "list", "nodes", "", "", False),
    (person("erin", "auditors"), "list", "pods", "", "", True),
    (person("erin", "auditors"), "list", "pods", "", "kube-system", True),
    (person("erin", "auditors"), "get", "secrets", "", "kube-system", False),
]


@pytest.mark.parametrize(("who", "verb", "resource", "api_group", "namespace", "allowed"), MATRIX,
                         ids=lambda v: v.name if isinstance(v, UserInfo) else str(v))
def test_view_edit_admin_matrix(who: UserInfo, verb: str, resource: str, api_group: str, namespace: str,
                                allowed: bool) -> None:
    assert can(TEAM, who, verb, resource, namespace, group=api_group) is allowed


def test_allow_reasons_name_the_binding_like_kube_apiserver() -> None:
    in_namespace = TEAM.authorize(Attributes(user=ALICE, verb="get", resource="pods", namespace="default"))
    assert in_namespace.reason == (
        'RBAC: allowed by RoleBinding "alice-view/default" of ClusterRole "view" to User "alice"'
    )
    cluster_wide = TEAM.authorize(Attributes(user=person("erin", "auditors"), verb="list", resource="pods"))
    assert cluster_wide.reason == (
        'RBAC: allowed by ClusterRoleBinding "auditors" of ClusterRole "view" to Group "auditors"'
    )
    denied = TEAM.authorize(Attributes(user=ALICE, verb="delete", resource="pods", namespace="default"))
    assert denied == type(denied)(allowed=False, reason="")


def test_role_binding_to_a_namespaced_role() -> None:
    authz = authorizer(
        role("reader", [rule(["get"], ["configmaps"])], namespace="prod"),
        binding("dave-reader", "reader", user("dave"), namespace="prod", ref_kind="Role"),
    )
    assert can(authz, DAVE, "get", "configmaps", "prod")
    assert not can(authz, DAVE, "get", "configmaps", "staging")
    decision = authz.authorize(Attributes(user=DAVE, verb="get", resource="configmaps", namespace="prod"))
    assert decision.reason == (
        'RBAC: allowed by RoleBinding "dave-reader/prod" of Role "reader" to User "dave"'
    )


def test_resource_names_limit_to_named_objects_and_never_allow_list() -> None:
    authz = authorizer(
        role("one-config", [rule(["get", "list", "update"], ["configmaps"], resourceNames=["app-config"])]),
        binding("dave-config", "one-config", user("dave"), namespace="prod"),
    )
    assert can(authz, DAVE, "get", "configmaps", "prod", name="app-config")
    assert can(authz, DAVE, "update", "configmaps", "prod", name="app-config")
    assert not can(authz, DAVE, "get", "configmaps", "prod", name="other")
    assert not can(authz, DAVE, "list", "configmaps", "prod")


def test_wildcards_and_star_slash_subresources() -> None:
    authz = authorizer(
        role("scaler", [rule(["update", "get"], ["*/scale"], groups=("*",))]),
        role("apps-all", [rule(["*"], ["*"], groups=("apps",))]),
        role("logs", [{"verbs": ["get"], "nonResourceURLs": ["/logs/*", "/metrics"]}]),
        binding("dave-scaler", "scaler", user("dave")),
        binding("frank-apps", "apps-all", user("frank")),
        binding("dave-logs", "logs", user("dave")),
    )
    assert can(authz, DAVE, "update", "deployments/scale", "prod", group="apps")
    assert can(authz, DAVE, "update", "replicationcontrollers/scale", "prod")
    assert not can(authz, DAVE, "update", "deployments", "prod", group="apps")
    assert not can(authz, DAVE, "update", "deployments/status", "prod", group="apps")
    frank = person("frank")
    assert can(authz, frank, "deletecollection", "statefulsets", "any", group="apps")
    assert can(authz, frank, "patch", "deployments/status", "", group="apps")
    assert not can(authz, frank, "get", "pods", "any")

    def get_path(path: str) -> bool:
        return authz.authorize(Attributes(user=DAVE, verb="get", path=path, resource_request=False)).allowed

    assert get_path("/logs/kubelet.log")
    assert get_path("/logs/")
    assert get_path("/metrics")
    assert not get_path("/logs")
    assert not get_path("/metrics/cadvisor")


def test_a_resource_rule_never_covers_its_subresources() -> None:
    authz = authorizer(role("pods", [rule(["*"], ["pods"])]), binding("dave-pods", "pods", user("dave")))
    assert can(authz, DAVE, "create", "pods", "prod")
    assert not can(authz, DAVE, "create", "pods/exec", "prod")
    assert not can(authz, DAVE, "get", "pods/log", "prod")


def test_aggregated_cluster_roles_pick_up_new_roles_at_evaluation_time() -> None:
    widgets = role(
        "widgets-view",
        [rule(["get", "list"], ["widgets"], groups=("example.com",))],
        metadata={"labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
    )
    objects = [*bootstrap_policy(), binding("alice-view", "view", user("alice"), namespace="default"),
               binding("carol-admin", "admin", user("carol"), namespace="team")]
    authz = Authorizer(RbacObjectList(objects))
    assert not can(authz, ALICE, "list", "widgets", "default", group="example.com")
    objects.append(widgets)
    assert can(authz, ALICE, "list", "widgets", "default", group="example.com")
    # view aggregates into edit and edit into admin, so the admin sees widgets too.
    assert can(authz, CAROL, "get", "widgets", "team", group="example.com")


def test_aggregation_selectors_use_label_selector_semantics_and_tolerate_cycles() -> None:
    authz = authorizer(
        role("monitoring", [], aggregationRule={"clusterRoleSelectors": [
            {"matchExpressions": [{"key": "team", "operator": "In", "values": ["obs", "sre"]}]},
        ]}, metadata={"labels": {"team": "obs"}}),
        role("obs-nodes", [rule(["get"], ["nodes"])], metadata={"labels": {"team": "obs"}}),
        role("dev-secrets", [rule(["get"], ["secrets"])], metadata={"labels": {"team": "dev"}}),
        role("loop", [], aggregationRule={"clusterRoleSelectors": [{"matchLabels": {"team": "obs"}}]},
             metadata={"labels": {"team": "sre"}}),
        binding("dave-monitoring", "monitoring", user("dave")),
    )
    assert can(authz, DAVE, "get", "nodes")
    assert not can(authz, DAVE, "get", "secrets", "default")


def test_service_account_subjects_and_groups() -> None:
    builder = UserInfo.service_account("ci", "builder")
    assert builder.name == "system:serviceaccount:ci:builder"
    authz = authorizer(
        # A ServiceAccount subject without a namespace means the binding's own namespace.
        binding("builder-edit", "edit", {"kind": "ServiceAccount", "name": "builder"}, namespace="ci"),
        binding("ci-view", "view", {"kind": "ServiceAccount", "name": "builder", "namespace": "ci"},
                namespace="prod"),
        binding("all-ci-sas", "view", group("system:serviceaccounts:ci"), namespace="shared"),
        binding("every-sa", "view", group("system:serviceaccounts"), namespace="public"),
        # A ClusterRoleBinding's service account subject must name its namespace.
        binding("bare-sa", "cluster-admin", {"kind": "ServiceAccount", "name": "builder"}),
    )
    assert can(authz, builder, "create", "deployments", "ci", group="apps")
    assert can(authz, builder, "list", "pods", "prod")
    assert not can(authz, builder, "create", "pods", "prod")
    assert can(authz, builder, "list", "pods", "shared")
    assert can(authz, UserInfo.service_account("other", "x"), "list", "pods", "public")
    assert not can(authz, UserInfo.service_account("other", "builder"), "list", "pods", "ci")
    assert not can(authz, builder, "list", "nodes")
    reason = authz.authorize(Attributes(user=builder, verb="list", resource="pods", namespace="prod")).reason
    assert reason == (
        'RBAC: allowed by RoleBinding "ci-view/prod" of ClusterRole "view" to ServiceAccount "builder/ci"'
    )


def test_missing_roles_explain_the_refusal() -> None:
    authz = authorizer(
        binding("dangling", "ghost", user("dave"), namespace="prod", ref_kind="Role"),
        binding("dangling-cluster", "phantom", user("dave")),
    )
    attrs = Attributes(user=DAVE, verb="get", resource="pods", namespace="prod")
    decision = authz.authorize(attrs)
    assert decision.allowed is False
    assert decision.reason == (
        'RBAC: [clusterrole.rbac.authorization.k8s.io "phantom" not found, '
        'role.rbac.authorization.k8s.io "ghost" not found]'
    )
    assert forbidden_status(attrs, decision.reason)["message"] == (
        'pods is forbidden: User "dave" cannot get resource "pods" in API group "" in the namespace "prod": '
        'RBAC: [clusterrole.rbac.authorization.k8s.io "phantom" not found, '
        'role.rbac.authorization.k8s.io "ghost" not found]'
    )


def test_system_masters_may_do_anything_even_without_bindings() -> None:
    authz = Authorizer(RbacObjectList([]))
    root = person("root", "system:masters")
    assert can(authz, root, "delete", "nodes")
    assert can(authz, root, "escalate", "clusterroles", group=RBAC)
    assert authz.authorize(Attributes(user=root, verb="get", path="/metrics", resource_request=False)).allowed
    assert not can(authz, person("root"), "delete", "nodes")


def test_bootstrap_policy_lets_every_authenticated_user_discover_and_review() -> None:
    nobody = person("nobody")
    anonymous = UserInfo(name="system:anonymous", groups=("system:unauthenticated",))

    def get(who: UserInfo, path: str) -> bool:
        return TEAM.authorize(Attributes(user=who, verb="get", path=path, resource_request=False)).allowed

    for path in ("/api", "/api/v1", "/apis", "/apis/apps/v1", "/version", "/openapi/v3", "/healthz"):
        assert get(nobody, path), path
    assert not get(nobody, "/metrics")
    assert get(anonymous, "/livez")
    assert not get(anonymous, "/apis")
    assert can(TEAM, nobody, "create", "selfsubjectaccessreviews", group="authorization.k8s.io")
    assert can(TEAM, nobody, "create", "selfsubjectrulesreviews", group="authorization.k8s.io")
    assert can(TEAM, nobody, "create", "selfsubjectreviews", group="authentication.k8s.io")
    assert not can(TEAM, nobody, "list", "pods", "default")


def test_bootstrap_aggregated_roles_store_their_resolved_rules() -> None:
    by_name = {obj["metadata"]["name"]: obj for obj in bootstrap_policy() if obj["kind"] == "ClusterRole"}
    admin_resources = {r for entry in by_name["admin"]["rules"] for r in entry.get("resources", [])}
    assert {"roles", "rolebindings", "pods/exec", "secrets", "pods/log"} <= admin_resources
    view_resources = {r for entry in by_name["view"]["rules"] for r in entry.get("resources", [])}
    assert "secrets" not in view_resources
    assert by_name["view"]["aggregationRule"] == {
        "clusterRoleSelectors": [{"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}}]
    }
    assert by_name["edit"]["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-admin"] == "true"
    # Each call hands out its own copies, so a caller's edits cannot leak into the next cluster.
    by_name["view"]["rules"].clear()
    assert next(o for o in bootstrap_policy() if o["metadata"]["name"] == "view")["rules"]


def test_cluster_admin_binding_targets_system_masters() -> None:
    crb = next(o for o in bootstrap_policy() if o["kind"] == "ClusterRoleBinding"
               and o["metadata"]["name"] == "cluster-admin")
    assert crb["roleRef"] == {"apiGroup": RBAC, "kind": "ClusterRole", "name": "cluster-admin"}
    assert crb["subjects"] == [{"apiGroup": RBAC, "kind": "Group", "name": "system:masters"}]


@pytest.mark.parametrize(
    ("attrs", "message", "details"),
    [
        (
            Attributes(user=ALICE, verb="list", resource="pods", namespace="default"),
            'pods is forbidden: User "alice" cannot list resource "pods" in API group "" '
            'in the namespace "default"',
            {"kind": "pods"},
        ),
        (
            Attributes(user=BOB, verb="delete", group="apps", resource="deployments", namespace="prod",
                       name="web"),
            'deployments.apps "web" is forbidden: User "bob" cannot delete resource "deployments" '
            'in API group "apps" in the namespace "prod"',
            {"name": "web", "group": "apps", "kind": "deployments"},
        ),
        (
            Attributes(user=ALICE, verb="list", resource="nodes"),
            'nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" '
            "at the cluster scope",
            {"kind": "nodes"},
        ),
        (
            Attributes(user=ALICE, verb="create", resource="pods", subresource="exec", namespace="default",
                       name="web-0"),
            'pods "web-0" is forbidden: User "alice" cannot create resource "pods/exec" in API group "" '
            'in the namespace "default"',
            {"name": "web-0", "kind": "pods"},
        ),
        (
            Attributes(user=ALICE, verb="get", path="/metrics", resource_request=False),
            'forbidden: User "alice" cannot get path "/metrics"',
            {},
        ),
    ],
    ids=["list-pods", "delete-named", "cluster-scope", "subresource", "non-resource"],
)
def test_forbidden_status_matches_kube_apiserver(
    attrs: Attributes, message: str, details: dict[str, str]
) -> None:
    assert forbidden_status(attrs) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "Forbidden",
        "details": details,
        "code": 403,
    }


def test_unauthorized_status() -> None:
    assert unauthorized_status() == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "Unauthorized", "reason": "Unauthorized", "code": 401,
    }


def ssar(spec: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
            "metadata": {"creationTimestamp": None}, "spec": spec}


def test_self_subject_access_review_allowed_and_denied() -> None:
    attributes = {"namespace": "prod", "verb": "update", "group": "apps", "resource": "deployments",
                  "subresource": "scale", "name": "web"}
    answer = self_subject_access_review(BOB, ssar({"resourceAttributes": attributes}), TEAM)
    assert answer == {
        "kind": "SelfSubjectAccessReview",
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": {"creationTimestamp": None},
        "spec": {"resourceAttributes": attributes},
        "status": {
            "allowed": True,
            "reason": 'RBAC: allowed by RoleBinding "bob-edit/prod" of ClusterRole "edit" to User "bob"',
        },
    }
    denied = self_subject_access_review(ALICE, ssar({"resourceAttributes": attributes}), TEAM)
    assert denied["status"] == {"allowed": False}


def test_self_subject_access_review_of_a_path() -> None:
    spec = {"nonResourceAttributes": {"path": "/apis/apps", "verb": "get"}}
    assert self_subject_access_review(ALICE, ssar(spec), TEAM)["status"] == {
        "allowed": True,
        "reason": 'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" '
        'to Group "system:authenticated"',
    }


def test_self_subject_access_review_needs_exactly_one_kind_of_attributes() -> None:
    with pytest.raises(ApiError) as neither:
        self_subject_access_review(ALICE, ssar({}), TEAM)
    assert neither.value.body["code"] == 422
    assert neither.value.body["message"] == (
        'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: '
        'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified'
    )
    both = {"resourceAttributes": {"verb": "get", "resource": "pods"},
            "nonResourceAttributes": {"path": "/api", "verb": "get"}}
    with pytest.raises(ApiError, match="cannot be specified in combination with resourceAttributes"):
        self_subject_access_review(ALICE, ssar(both), TEAM)


def test_self_subject_rules_review_lists_what_the_namespace_grants() -> None:
    authz = authorizer(
        role("one-config", [rule(["get"], ["configmaps"], resourceNames=["app-config"])]),
        binding("dave-config", "one-config", user("dave"), namespace="prod"),
    )
    review = {"kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1",
              "spec": {"namespace": "prod"}}
    answer = self_subject_rules_review(DAVE, review, authz)
    assert answer["kind"] == "SelfSubjectRulesReview"
    assert answer["spec"] == {"namespace": "prod"}
    status = answer["status"]
    assert status["incomplete"] is False
    assert {"verbs": ["get"], "apiGroups": [""], "resources": ["configmaps"],
            "resourceNames": ["app-config"]} in status["resourceRules"]
    assert {"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
            "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]} in status["resourceRules"]
    discovery_urls = {url for entry in status["nonResourceRules"] for url in entry["nonResourceURLs"]}
    assert {"/api", "/apis/*", "/version", "/healthz"} <= discovery_urls
    elsewhere = self_subject_rules_review(DAVE, {**review, "spec": {"namespace": "staging"}}, authz)
    assert all("configmaps" not in entry["resources"] for entry in elsewhere["status"]["resourceRules"])


def test_self_subject_rules_review_flags_dangling_bindings_and_needs_a_namespace() -> None:
    authz = authorizer(binding("dangling", "ghost", user("dave"), namespace="prod", ref_kind="Role"))
    review = {"spec": {"namespace": "prod"}}
    assert self_subject_rules_review(DAVE, review, authz)["status"]["incomplete"] is True
    with pytest.raises(ApiError) as missing:
        self_subject_rules_review(DAVE, {"spec": {}}, authz)
    assert missing.value.body["code"] == 400
    assert missing.value.body["message"] == "no namespace on request"


def test_self_subject_review_for_whoami() -> None:
    who = UserInfo(name="alice", groups=("devs", "system:authenticated"), uid="u-1",
                   extra={"scopes": ("read",)})
    assert self_subject_review(who) == {
        "kind": "SelfSubjectReview",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"creationTimestamp": None},
        "status": {"userInfo": {"username": "alice", "uid": "u-1", "groups": ["devs", "system:authenticated"],
                                "extra": {"scopes": ["read"]}}},
    }
    assert self_subject_review(UserInfo(name="bare"))["status"] == {"userInfo": {"username": "bare"}}
