"""Kubernetes RBAC as kube-apiserver evaluates it, over the sandbox's live RBAC objects.

The chain is the apiserver's: members of system:masters are allowed outright, then RBAC
grants through ClusterRoleBindings (everywhere) and RoleBindings (their own namespace only).
RBAC never denies, it only fails to allow, so a refusal carries a reason only when a binding
points at a role that does not exist. Aggregated ClusterRoles are resolved at every evaluation
instead of by a controller, so a role labelled to aggregate takes effect at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cached_property
from typing import Any, NamedTuple, Protocol

import msgspec

from periscope_adapters.sandbox._status import qualified, status

SYSTEM_MASTERS = "system:masters"
AUTHENTICATED = "system:authenticated"
UNAUTHENTICATED = "system:unauthenticated"
ANONYMOUS = "system:anonymous"
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"

Rule = Mapping[str, Any]

_KINDS = {
    "roles": "Role",
    "rolebindings": "RoleBinding",
    "clusterroles": "ClusterRole",
    "clusterrolebindings": "ClusterRoleBinding",
}


def service_account_groups(namespace: str) -> tuple[str, str]:
    """The groups every service account of `namespace` belongs to."""
    return ("system:serviceaccounts", f"system:serviceaccounts:{namespace}")


class UserInfo(msgspec.Struct, frozen=True):
    """An authenticated identity, shaped like kube-apiserver's user.Info."""

    name: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: dict[str, tuple[str, ...]] = msgspec.field(default_factory=dict)

    @classmethod
    def service_account(cls, namespace: str, name: str, uid: str = "") -> UserInfo:
        """The identity a service account token authenticates as, groups included."""
        groups = (*service_account_groups(namespace), AUTHENTICATED)
        return cls(name=f"{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}", groups=groups, uid=uid)


class Attributes(msgspec.Struct, frozen=True):
    """What a request asks to do; `path` and `resource_request=False` for non-resource URLs."""

    user: UserInfo
    verb: str
    group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""
    resource_request: bool = True


class Decision(msgspec.Struct, frozen=True):
    allowed: bool
    reason: str = ""


class RbacObjects(Protocol):
    def list(self, plural: str, namespace: str | None = None) -> Iterable[Mapping[str, Any]]:
        """Objects of `plural` (roles, rolebindings, clusterroles, clusterrolebindings); None = all."""
        ...


class RbacObjectList:
    """RbacObjects over a plain list, read at every call so later appends take effect."""

    def __init__(self, objects: list[Mapping[str, Any]]) -> None:
        self._objects = objects

    def list(self, plural: str, namespace: str | None = None) -> list[Mapping[str, Any]]:
        kind = _KINDS[plural]
        return [
            obj
            for obj in self._objects
            if obj.get("kind") == kind and namespace in (None, obj["metadata"].get("namespace"))
        ]


def go_quote(value: str) -> str:
    """Go's %q for the strings Kubernetes quotes in its messages."""
    return json.dumps(value, ensure_ascii=False)


class ClusterRoleSet:
    """ClusterRoles by name, aggregated ones resolved the way the aggregation controller fills them."""

    def __init__(self, roles: Iterable[Mapping[str, Any]]) -> None:
        self._roles = {role["metadata"]["name"]: role for role in roles}

    def rules(self, name: str) -> list[Rule] | None:
        role = self._roles.get(name)
        return None if role is None else self._resolve(role, frozenset())

    def _resolve(self, role: Mapping[str, Any], seen: frozenset[str]) -> list[Rule]:
        aggregation = role.get("aggregationRule")
        if aggregation is None:
            return list(role.get("rules") or ())
        seen = seen | {role["metadata"]["name"]}
        rules: list[Rule] = []
        # The controller walks selectors in order and sources by name, dropping repeated rules.
        for selector in aggregation.get("clusterRoleSelectors") or ():
            for name in sorted(self._roles):
                source = self._roles[name]
                if name in seen or not _selects(selector, source["metadata"].get("labels") or {}):
                    continue
                for rule in self._resolve(source, seen):
                    if rule not in rules:
                        rules.append(rule)
        return rules


def _selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """metav1.LabelSelector semantics: every matchLabels pair and every matchExpression holds."""
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or ():
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values") or ()
        held = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }.get(operator, False)
        if not held:
            return False
    return True


def _has(values: Sequence[str] | None, wanted: str) -> bool:
    values = values or ()
    return "*" in values or wanted in values


def _resource_matches(pattern: str, resource: str, subresource: str) -> bool:
    return pattern in ("*", resource) or (bool(subresource) and pattern == f"*/{subresource}")


def _url_matches(pattern: str, path: str) -> bool:
    return pattern in ("*", path) or (pattern.endswith("*") and path.startswith(pattern.rstrip("*")))


def _allows(attrs: Attributes, rule: Rule) -> bool:
    if not _has(rule.get("verbs"), attrs.verb):
        return False
    if not attrs.resource_request:
        return any(_url_matches(url, attrs.path) for url in rule.get("nonResourceURLs") or ())
    resource = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    names = rule.get("resourceNames") or ()
    return (
        _has(rule.get("apiGroups"), attrs.group)
        and any(_resource_matches(r, resource, attrs.subresource) for r in rule.get("resources") or ())
        and (not names or attrs.name in names)
    )


def _applies(user: UserInfo, subject: Mapping[str, Any], namespace: str) -> bool:
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "User":
        return user.name == name
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        # A RoleBinding's service account subject defaults to the binding's namespace.
        sa_namespace = subject.get("namespace") or namespace
        return bool(sa_namespace) and user.name == f"{SERVICE_ACCOUNT_PREFIX}{sa_namespace}:{name}"
    return False


def _describe(binding: Mapping[str, Any], subject: Mapping[str, Any], namespace: str) -> str:
    """The binding as kube-apiserver names it in an allow reason."""
    ref, name = binding.get("roleRef") or {}, binding["metadata"]["name"]
    subject_name = subject.get("name", "")
    if subject.get("kind") == "ServiceAccount":
        subject_name = f"{subject_name}/{subject.get('namespace') or namespace}"
    binding_name = go_quote(f"{name}/{namespace}" if namespace else name)
    kind = f"RoleBinding {binding_name}" if namespace else f"ClusterRoleBinding {binding_name}"
    return (
        f"{kind} of {ref.get('kind', '')} {go_quote(ref.get('name', ''))} "
        f"to {subject.get('kind', '')} {go_quote(subject_name)}"
    )


class _Grant(NamedTuple):
    source: str
    rules: Sequence[Rule]


class _Evaluation:
    """One walk over the bindings that apply to a user; ClusterRoles are listed once, when first needed."""

    def __init__(self, objects: RbacObjects, user: UserInfo, namespace: str) -> None:
        self._objects, self._user, self._namespace = objects, user, namespace
        self.errors: list[str] = []

    @cached_property
    def _cluster_roles(self) -> ClusterRoleSet:
        return ClusterRoleSet(self._objects.list("clusterroles"))

    def grants(self) -> Iterator[_Grant]:
        for binding in self._objects.list("clusterrolebindings"):
            yield from self._grant(binding, "")
        if self._namespace:
            for binding in self._objects.list("rolebindings", self._namespace):
                yield from self._grant(binding, self._namespace)

    def _grant(self, binding: Mapping[str, Any], namespace: str) -> Iterator[_Grant]:
        subjects = binding.get("subjects") or ()
        subject = next((s for s in subjects if _applies(self._user, s, namespace)), None)
        if subject is None:
            return
        rules = self._role_rules(binding.get("roleRef") or {}, namespace)
        if rules is not None:
            yield _Grant(_describe(binding, subject, namespace), rules)

    def _role_rules(self, ref: Mapping[str, Any], namespace: str) -> list[Rule] | None:
        kind, name = ref.get("kind", ""), ref.get("name", "")
        if kind == "ClusterRole":
            rules = self._cluster_roles.rules(name)
        elif kind == "Role":
            roles = self._objects.list("roles", namespace) if namespace else ()
            rules = next((list(r.get("rules") or ()) for r in roles if r["metadata"]["name"] == name), None)
        else:
            self.errors.append(f"unsupported role reference kind: {go_quote(kind)}")
            return None
        if rules is None:
            self.errors.append(f"{kind.lower()}.rbac.authorization.k8s.io {go_quote(name)} not found")
        return rules


def _aggregate(errors: Sequence[str]) -> str:
    """utilerrors.NewAggregate's message: one error bare, several bracketed and de-duplicated."""
    unique = list(dict.fromkeys(errors))
    return unique[0] if len(unique) == 1 else f"[{', '.join(unique)}]"


class Authorizer:
    """The system:masters and RBAC authorizers of kube-apiserver, over live RBAC objects."""

    def __init__(self, objects: RbacObjects) -> None:
        self._objects = objects

    def authorize(self, attrs: Attributes) -> Decision:
        if SYSTEM_MASTERS in attrs.user.groups:
            return Decision(allowed=True)
        evaluation = _Evaluation(self._objects, attrs.user, attrs.namespace)
        for grant in evaluation.grants():
            if any(_allows(attrs, rule) for rule in grant.rules):
                return Decision(allowed=True, reason=f"RBAC: allowed by {grant.source}")
        errors = evaluation.errors
        return Decision(allowed=False, reason=f"RBAC: {_aggregate(errors)}" if errors else "")

    def rules_for(
        self, user: UserInfo, namespace: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], bool]:
        """(resourceRules, nonResourceRules, incomplete) as a SelfSubjectRulesReview reports them.

        `incomplete` is set when a binding names a missing role; kube-apiserver reports that as
        an evaluation error instead, but either way the listed rules are all that is granted.
        """
        evaluation = _Evaluation(self._objects, user, namespace)
        resource_rules: list[dict[str, Any]] = []
        non_resource_rules: list[dict[str, Any]] = []
        for grant in evaluation.grants():
            for rule in grant.rules:
                if rule.get("resources"):
                    resource_rules.append(_rule_info(rule, "apiGroups", "resources", "resourceNames"))
                if rule.get("nonResourceURLs"):
                    non_resource_rules.append(_rule_info(rule, "nonResourceURLs"))
        return resource_rules, non_resource_rules, bool(evaluation.errors)


def _rule_info(rule: Rule, *fields: str) -> dict[str, Any]:
    info: dict[str, Any] = {"verbs": list(rule.get("verbs") or ())}
    info.update({field: list(rule[field]) for field in fields if rule.get(field)})
    return info


def forbidden_status(attrs: Attributes, reason: str = "") -> dict[str, Any]:
    """The 403 Status kube-apiserver writes when `attrs` is not allowed; `reason` is the authorizer's."""
    user = go_quote(attrs.user.name)
    if not attrs.resource_request:
        detail = f"User {user} cannot {attrs.verb} path {go_quote(attrs.path)}"
    else:
        resource = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
        scope = f"in the namespace {go_quote(attrs.namespace)}" if attrs.namespace else "at the cluster scope"
        detail = (
            f"User {user} cannot {attrs.verb} resource {go_quote(resource)} "
            f"in API group {go_quote(attrs.group)} {scope}"
        )
    if reason:
        detail = f"{detail}: {reason}"
    resource_name = qualified(attrs.group, attrs.resource)
    if not resource_name:
        message = f"forbidden: {detail}"
    elif attrs.name:
        message = f"{resource_name} {go_quote(attrs.name)} is forbidden: {detail}"
    else:
        message = f"{resource_name} is forbidden: {detail}"
    fields = (("name", attrs.name), ("group", attrs.group), ("kind", attrs.resource))
    body = status(403, message, details={key: value for key, value in fields if value})
    body.setdefault("details", {})  # even a refused non-resource path carries (empty) details
    return body


def unauthorized_status() -> dict[str, Any]:
    """The 401 Status for a request whose credentials do not authenticate."""
    return status(401, "Unauthorized")
