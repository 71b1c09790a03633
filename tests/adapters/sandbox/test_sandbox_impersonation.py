"""Impersonation in the sandbox apiserver: each Impersonate-* header is checked like kube-apiserver does."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from periscope_adapters.sandbox._impersonation import ImpersonationDenied, resolve_impersonation
from periscope_adapters.sandbox._rbac import Attributes, Authorizer, RbacObjectList, UserInfo
from periscope_adapters.sandbox._rbac_policy import bootstrap_policy
from periscope_adapters.sandbox._status import ApiError

RBAC = "rbac.authorization.k8s.io"

# The shape the console's chart ships: the bridge may act as any user, but only in tier groups.
IMPERSONATOR = {
    "apiVersion": f"{RBAC}/v1",
    "kind": "ClusterRole",
    "metadata": {"name": "periscope-impersonator"},
    "rules": [
        {"verbs": ["impersonate"], "apiGroups": [""], "resources": ["users"]},
        {"verbs": ["impersonate"], "apiGroups": [""], "resources": ["groups"],
         "resourceNames": ["periscope-tier:read", "periscope-tier:write"]},
        {"verbs": ["impersonate"], "apiGroups": ["authentication.k8s.io"],
         "resources": ["userextras/scopes", "uids"]},
    ],
}
OBJECTS = [
    *bootstrap_policy(),
    IMPERSONATOR,
    {
        "apiVersion": f"{RBAC}/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "periscope-impersonator"},
        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "periscope-impersonator"},
        "subjects": [{"apiGroup": RBAC, "kind": "Group", "name": "periscope-bridge"}],
    },
    {
        "apiVersion": f"{RBAC}/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "tier-read"},
        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "view"},
        "subjects": [{"apiGroup": RBAC, "kind": "Group", "name": "periscope-tier:read"}],
    },
    {
        "apiVersion": f"{RBAC}/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "bob-edit", "namespace": "ci"},
        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "edit"},
        "subjects": [{"apiGroup": RBAC, "kind": "User", "name": "bob"}],
    },
]
AUTHZ = Authorizer(RbacObjectList(OBJECTS))
BRIDGE = UserInfo(name="bridge", groups=("periscope-bridge", "system:authenticated"))
BOB = UserInfo(name="bob", groups=("system:authenticated",))


def act_as(requester: UserInfo, **headers: Sequence[str]) -> UserInfo:
    return resolve_impersonation(requester, {k.replace("_", "-"): v for k, v in headers.items()}, AUTHZ)


def denial(requester: UserInfo, **headers: Sequence[str]) -> dict[str, object]:
    with pytest.raises(ImpersonationDenied) as refused:
        act_as(requester, **headers)
    return refused.value.body


def test_without_impersonation_headers_the_requester_acts() -> None:
    assert resolve_impersonation(BRIDGE, {"accept": ["application/json"]}, AUTHZ) is BRIDGE


def test_impersonating_a_user_in_a_permitted_group() -> None:
    alice = act_as(BRIDGE, impersonate_user=["alice"], impersonate_group=["periscope-tier:read"])
    assert alice == UserInfo(name="alice", groups=("periscope-tier:read", "system:authenticated"))
    # The impersonated identity is what gets authorized afterwards.
    assert AUTHZ.authorize(Attributes(user=alice, verb="list", resource="pods", namespace="web")).allowed
    delete = Attributes(user=alice, verb="delete", resource="pods", namespace="web")
    assert not AUTHZ.authorize(delete).allowed


def test_groups_outside_the_resource_names_are_refused() -> None:
    groups = ["periscope-tier:read", "system:masters"]
    body = denial(BRIDGE, impersonate_user=["alice"], impersonate_group=groups)
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'groups "system:masters" is forbidden: User "bridge" cannot impersonate resource "groups" '
        'in API group "" at the cluster scope',
        "reason": "Forbidden",
        "details": {"name": "system:masters", "kind": "groups"},
        "code": 403,
    }


def test_a_requester_without_impersonate_rights_is_refused_with_the_apiserver_message() -> None:
    mallory = UserInfo(name="mallory", groups=("system:authenticated",))
    body = denial(mallory, impersonate_user=["alice"])
    assert body["message"] == (
        'users "alice" is forbidden: User "mallory" cannot impersonate resource "users" in API group "" '
        "at the cluster scope"
    )
    assert body["code"] == 403
    assert body["details"] == {"name": "alice", "kind": "users"}


def test_user_extras_and_uid_need_their_own_permission() -> None:
    acting = act_as(BRIDGE, impersonate_user=["alice"], impersonate_uid=["u-42"],
                    impersonate_extra_scopes=["read", "write"])
    assert acting.uid == "u-42"
    assert acting.extra == {"scopes": ("read", "write")}
    assert acting.groups == ("system:authenticated",)
    body = denial(BRIDGE, impersonate_user=["alice"], **{"impersonate-extra-acme.com%2fproject": ["blue"]})
    assert body["message"] == (
        'userextras.authentication.k8s.io "blue" is forbidden: User "bridge" cannot impersonate resource '
        '"userextras/acme.com/project" in API group "authentication.k8s.io" at the cluster scope'
    )
    assert body["details"] == {"name": "blue", "group": "authentication.k8s.io", "kind": "userextras"}
    body = denial(BOB, impersonate_user=["system:serviceaccount:ci:builder"], impersonate_uid=["u-42"])
    assert body["message"] == (
        'uids.authentication.k8s.io "u-42" is forbidden: User "bob" cannot impersonate resource "uids" '
        'in API group "authentication.k8s.io" at the cluster scope'
    )


def test_percent_encoded_extra_keys_are_decoded() -> None:
    root = UserInfo(name="root", groups=("system:masters",))
    acting = act_as(root, impersonate_user=["alice"], **{"impersonate-extra-acme.com%2fproject": ["blue"]})
    assert acting.extra == {"acme.com/project": ("blue",)}


def test_service_accounts_are_checked_in_their_namespace_and_get_their_groups() -> None:
    builder = act_as(BOB, impersonate_user=["system:serviceaccount:ci:builder"])
    assert builder == UserInfo.service_account("ci", "builder")
    body = denial(BOB, impersonate_user=["system:serviceaccount:prod:deployer"])
    assert body["message"] == (
        'serviceaccounts "deployer" is forbidden: User "bob" cannot impersonate resource "serviceaccounts" '
        'in API group "" in the namespace "prod"'
    )


def test_a_malformed_service_account_name_is_an_ordinary_user() -> None:
    body = denial(BOB, impersonate_user=["system:serviceaccount:ci"])
    assert body["message"].startswith('users "system:serviceaccount:ci" is forbidden')


def test_explicit_groups_replace_a_service_accounts_implied_groups() -> None:
    root = UserInfo(name="root", groups=("system:masters",))
    acting = act_as(root, impersonate_user=["system:serviceaccount:ci:builder"], impersonate_group=["ops"])
    assert acting.groups == ("ops", "system:authenticated")


def test_catch_all_groups_are_added_only_when_not_asked_for() -> None:
    root = UserInfo(name="root", groups=("system:masters",))
    explicit = act_as(root, impersonate_user=["alice"], impersonate_group=["system:authenticated", "devs"])
    assert explicit.groups == ("system:authenticated", "devs")
    anonymous = act_as(root, impersonate_user=["system:anonymous"])
    assert anonymous.groups == ("system:unauthenticated",)


def test_groups_without_a_user_are_a_bad_request() -> None:
    with pytest.raises(ApiError) as refused:
        act_as(BRIDGE, impersonate_group=["periscope-tier:read"])
    assert not isinstance(refused.value, ImpersonationDenied)
    assert refused.value.body["code"] == 400
    assert refused.value.body["message"] == (
        'requested groups "periscope-tier:read" without impersonating a user'
    )


def test_system_masters_may_impersonate_anyone() -> None:
    root = UserInfo(name="root", groups=("system:masters", "system:authenticated"))
    acting = act_as(root, impersonate_user=["alice"], impersonate_group=["system:masters"])
    assert acting.groups == ("system:masters", "system:authenticated")
