"""The self-subject review APIs, answered as kube-apiserver answers them.

SelfSubjectAccessReview and SelfSubjectRulesReview (authorization.k8s.io/v1) back
`kubectl auth can-i`; SelfSubjectReview (authentication.k8s.io/v1) backs `kubectl auth whoami`.
Each takes the posted object and returns it with `status` filled in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from periscope_adapters.sandbox._rbac import Attributes, Authorizer, UserInfo, go_quote
from periscope_adapters.sandbox._status import ApiError, Cause, bad_request, invalid

_AUTHORIZATION = "authorization.k8s.io"


def _answer(review: Mapping[str, Any], kind: str, api_version: str, result: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "kind": kind,
        "apiVersion": api_version,
        "metadata": {"creationTimestamp": None, **(review.get("metadata") or {})},
    }
    if "spec" in review:
        answer["spec"] = review["spec"]
    answer["status"] = result
    return answer


def _invalid_spec(field: str, value: str, detail: str) -> ApiError:
    """The 422 a SelfSubjectAccessReview failing validation gets; `value` is already Go-formatted."""
    cause = Cause("FieldValueInvalid", field, f"Invalid value: {value}: {detail}")
    return invalid("SelfSubjectAccessReview", "", [cause], group=_AUTHORIZATION)


def _review_attributes(user: UserInfo, spec: Mapping[str, Any]) -> Attributes:
    resource, non_resource = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if resource is not None and non_resource is not None:
        # Go prints the offending struct with %#v.
        value = (
            f"authorization.NonResourceAttributes{{Path:{go_quote(non_resource.get('path', ''))}, "
            f"Verb:{go_quote(non_resource.get('verb', ''))}}}"
        )
        raise _invalid_spec(
            "spec.nonResourceAttributes", value, "cannot be specified in combination with resourceAttributes"
        )
    if non_resource is not None:
        verb, path = non_resource.get("verb", ""), non_resource.get("path", "")
        return Attributes(user=user, verb=verb, path=path, resource_request=False)
    if resource is None:
        raise _invalid_spec(
            "spec.resourceAttributes",
            '"null"',
            "exactly one of nonResourceAttributes or resourceAttributes must be specified",
        )
    return Attributes(
        user=user,
        verb=resource.get("verb", ""),
        group=resource.get("group", ""),
        resource=resource.get("resource", ""),
        subresource=resource.get("subresource", ""),
        namespace=resource.get("namespace", ""),
        name=resource.get("name", ""),
    )


def self_subject_access_review(
    user: UserInfo, review: Mapping[str, Any], authorizer: Authorizer
) -> dict[str, Any]:
    """Answer a SelfSubjectAccessReview; raises ApiError (422) for an invalid spec."""
    decision = authorizer.authorize(_review_attributes(user, review.get("spec") or {}))
    result: dict[str, Any] = {"allowed": decision.allowed}
    if decision.reason:
        result["reason"] = decision.reason
    return _answer(review, "SelfSubjectAccessReview", f"{_AUTHORIZATION}/v1", result)


def self_subject_rules_review(
    user: UserInfo, review: Mapping[str, Any], authorizer: Authorizer
) -> dict[str, Any]:
    """Answer a SelfSubjectRulesReview; raises ApiError (400) when spec.namespace is empty."""
    namespace = (review.get("spec") or {}).get("namespace") or ""
    if not namespace:
        raise bad_request("no namespace on request")
    resource_rules, non_resource_rules, incomplete = authorizer.rules_for(user, namespace)
    result = {
        "resourceRules": resource_rules,
        "nonResourceRules": non_resource_rules,
        "incomplete": incomplete,
    }
    return _answer(review, "SelfSubjectRulesReview", f"{_AUTHORIZATION}/v1", result)


def self_subject_review(user: UserInfo) -> dict[str, Any]:
    """The SelfSubjectReview `kubectl auth whoami` prints, fields omitted when empty as the API does."""
    info: dict[str, Any] = {"username": user.name}
    if user.uid:
        info["uid"] = user.uid
    if user.groups:
        info["groups"] = list(user.groups)
    if user.extra:
        info["extra"] = {key: list(values) for key, values in user.extra.items()}
    return _answer({}, "SelfSubjectReview", "authentication.k8s.io/v1", {"userInfo": info})
