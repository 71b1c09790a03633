"""RBAC pre-flight: may this person do these things on this cluster?

Up to 64 checks per call, answered in order. Checks that share a namespace and name
neither an object nor a subresource are answered together from one
SelfSubjectRulesReview; everything else, and anything a rules review could not
decide (``incomplete``, as with webhook authorizers), gets its own
SelfSubjectAccessReview. Every review runs as the caller, so the cluster's own RBAC
decides.

Failures fail closed: ``allowed: false`` with the reason ``denied``, ``timeout`` or
``apiserver_unreachable``. Only definite answers are cached, per cluster and
identity, in a bounded TTL cache. A denied namespaced check also lists the
namespaces where the same action is allowed, from one rules review per namespace.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import TypeVar

import anyio
import msgspec

from periscope_core.domain.errors import (
    Forbidden,
    InvalidRequest,
    PeriscopeError,
    Unauthorized,
    UpstreamTimeout,
)
from periscope_core.domain.identity import BRIDGE, Impersonation
from periscope_core.domain.resources import GroupVersionResource
from periscope_core.services.kube import KubeClient
from periscope_core.services.ttl_cache import TtlCache

__all__ = ["MAX_CHECKS", "AccessCheck", "CanIService", "CheckResult"]

MAX_CHECKS = 64
DENIED, TIMEOUT, UNREACHABLE = "denied", "timeout", "apiserver_unreachable"

_AUTHZ = "authorization.k8s.io"
_SSAR = GroupVersionResource(_AUTHZ, "v1", "selfsubjectaccessreviews").path()
_SSRR = GroupVersionResource(_AUTHZ, "v1", "selfsubjectrulesreviews").path()
_NAMESPACES = GroupVersionResource("", "v1", "namespaces")
_T = TypeVar("_T")


class AccessCheck(msgspec.Struct, frozen=True):
    verb: str
    group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""


class CheckResult(msgspec.Struct, frozen=True):
    allowed: bool
    reason: str = ""
    namespaces: tuple[str, ...] | None = None
    """For a denied namespaced check: the namespaces where the same action is allowed."""


class _Rule(msgspec.Struct):
    verbs: list[str] = []
    apiGroups: list[str] = []
    resources: list[str] = []
    resourceNames: list[str] = []


class _RulesStatus(msgspec.Struct):
    resourceRules: list[_Rule] = []
    incomplete: bool = False


class _RulesReview(msgspec.Struct):
    status: _RulesStatus = msgspec.field(default_factory=_RulesStatus)


class _AccessStatus(msgspec.Struct):
    allowed: bool = False


class _AccessReview(msgspec.Struct):
    status: _AccessStatus = msgspec.field(default_factory=_AccessStatus)


class _Rules(msgspec.Struct, frozen=True):
    rules: tuple[_Rule, ...]
    incomplete: bool

    def allow(self, check: AccessCheck) -> bool:
        return any(_matches(rule, check) for rule in self.rules)


class _Failure(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _matches(rule: _Rule, check: AccessCheck) -> bool:
    """kube-apiserver's RBAC rule match (resource form), ``*`` and ``*/<subresource>`` included."""
    resource = f"{check.resource}/{check.subresource}" if check.subresource else check.resource
    resource_ok = any(
        r in ("*", resource) or (bool(check.subresource) and r == f"*/{check.subresource}") for r in rule.resources
    )
    return (
        ("*" in rule.verbs or check.verb in rule.verbs)
        and ("*" in rule.apiGroups or check.group in rule.apiGroups)
        and resource_ok
        and (not rule.resourceNames or check.name in rule.resourceNames)
    )


def _reason(exc: Exception) -> str:
    if isinstance(exc, Forbidden | Unauthorized):
        return DENIED
    if isinstance(exc, UpstreamTimeout):
        return TIMEOUT
    return UNREACHABLE


class CanIService:
    """Batched, cached, fail-closed access checks; one instance serves every cluster."""

    def __init__(
        self,
        *,
        ttl: float = 30.0,
        max_entries: int = 4096,
        review_timeout: float = 5.0,
        concurrency: int = 8,
        namespace_scan_limit: int = 200,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cache = TtlCache(ttl=ttl, max_entries=max_entries, clock=clock)
        self._timeout = review_timeout
        self._concurrency = concurrency
        self._scan_limit = namespace_scan_limit

    async def check(
        self, client: KubeClient, checks: Sequence[AccessCheck], *, as_: Impersonation
    ) -> list[CheckResult]:
        """One result per check, in order.

        Raises InvalidRequest beyond MAX_CHECKS or for a check without a verb or resource.
        """
        if len(checks) > MAX_CHECKS:
            raise InvalidRequest(f"too many checks (limit {MAX_CHECKS})")
        for index, check in enumerate(checks):
            if not check.verb or not check.resource:
                raise InvalidRequest(f"checks[{index}]: verb and resource are required")
        identity = (client.cluster, as_.cache_key())
        decided: dict[AccessCheck, CheckResult] = {}
        for check in checks:
            cached = self._cache.get((identity, check))
            if isinstance(cached, CheckResult):
                decided[check] = cached
        pending = [c for c in dict.fromkeys(checks) if c not in decided]
        fresh = await self._decide(client, pending, as_, identity)
        denied = [c for c, r in fresh.items() if r.reason == DENIED and c.namespace]
        if denied:
            where = await self._namespaces_allowing(client, denied, as_, identity)
            for check in denied:
                fresh[check] = CheckResult(allowed=False, reason=DENIED, namespaces=where.get(check))
        for check, result in fresh.items():
            if result.allowed or result.reason == DENIED:
                self._cache.put((identity, check), result)
        decided.update(fresh)
        return [decided[c] for c in checks]

    async def _decide(
        self, client: KubeClient, checks: list[AccessCheck], as_: Impersonation, identity: Hashable
    ) -> dict[AccessCheck, CheckResult]:
        by_namespace: dict[str, list[AccessCheck]] = {}
        for check in checks:
            if check.namespace and not check.name and not check.subresource:
                by_namespace.setdefault(check.namespace, []).append(check)
        batches = {ns: group for ns, group in by_namespace.items() if len(group) > 1}
        batched = {c for group in batches.values() for c in group}
        single = [c for c in checks if c not in batched]
        results: dict[AccessCheck, CheckResult] = {}

        async def rules_batch(namespace: str) -> None:
            group = batches[namespace]
            try:
                rules = await self._rules(client, namespace, as_, identity)
            except _Failure as failure:
                results.update({c: CheckResult(allowed=False, reason=failure.reason) for c in group})
                return
            for check in group:
                if rules.allow(check):
                    results[check] = CheckResult(allowed=True)
                elif rules.incomplete:
                    single.append(check)  # another authorizer may still allow it
                else:
                    results[check] = CheckResult(allowed=False, reason=DENIED)

        async def access_review(check: AccessCheck) -> None:
            results[check] = await self._access_review(client, check, as_)

        await self._each(rules_batch, list(batches))
        await self._each(access_review, single)
        return results

    async def _each(self, job: Callable[[_T], Awaitable[None]], items: Sequence[_T]) -> None:
        """Run ``job`` for every item, at most ``concurrency`` at a time."""
        limiter = anyio.CapacityLimiter(self._concurrency)

        async def run(item: _T) -> None:
            async with limiter:
                await job(item)

        async with anyio.create_task_group() as group:
            for item in items:
                group.start_soon(run, item)

    async def _post(self, client: KubeClient, path: str, body: Mapping[str, object], as_: Impersonation) -> bytes:
        try:
            return await client.request(
                "POST", path, body=msgspec.json.encode(body), content_type="application/json", as_=as_,
                timeout=self._timeout,
            )
        except PeriscopeError as exc:
            raise _Failure(_reason(exc)) from exc

    async def _access_review(self, client: KubeClient, check: AccessCheck, as_: Impersonation) -> CheckResult:
        attributes = {k: v for k, v in msgspec.structs.asdict(check).items() if v}
        body = {"apiVersion": f"{_AUTHZ}/v1", "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": attributes}}
        try:
            review = msgspec.json.decode(await self._post(client, _SSAR, body, as_), type=_AccessReview)
        except _Failure as failure:
            return CheckResult(allowed=False, reason=failure.reason)
        except msgspec.DecodeError:
            return CheckResult(allowed=False, reason=UNREACHABLE)
        return CheckResult(allowed=True) if review.status.allowed else CheckResult(allowed=False, reason=DENIED)

    async def _rules(self, client: KubeClient, namespace: str, as_: Impersonation, identity: Hashable) -> _Rules:
        """The caller's rules in one namespace (cached); raises _Failure."""
        key = (identity, "rules", namespace)
        cached = self._cache.get(key)
        if isinstance(cached, _Rules):
            return cached
        body = {"apiVersion": f"{_AUTHZ}/v1", "kind": "SelfSubjectRulesReview", "spec": {"namespace": namespace}}
        try:
            review = msgspec.json.decode(await self._post(client, _SSRR, body, as_), type=_RulesReview)
        except msgspec.DecodeError as exc:
            raise _Failure(UNREACHABLE) from exc
        rules = _Rules(rules=tuple(review.status.resourceRules), incomplete=review.status.incomplete)
        self._cache.put(key, rules)
        return rules

    async def _namespace_names(self, client: KubeClient, as_: Impersonation) -> list[str] | None:
        """Namespace names, as the caller if allowed, else as the bridge (only allowed ones are shown)."""
        for identity in (as_, BRIDGE) if not as_.is_bridge else (BRIDGE,):
            try:
                listing = await client.list(_NAMESPACES, as_=identity)
            except Forbidden:
                continue
            except PeriscopeError:
                return None
            return sorted(str(item.get("metadata", {}).get("name", "")) for item in listing.items)
        return None

    async def _namespaces_allowing(
        self, client: KubeClient, checks: list[AccessCheck], as_: Impersonation, identity: Hashable
    ) -> dict[AccessCheck, tuple[str, ...]]:
        names = await self._namespace_names(client, as_)
        if names is None:
            return {}
        rules: dict[str, _Rules] = {}

        async def load(namespace: str) -> None:
            try:
                rules[namespace] = await self._rules(client, namespace, as_, identity)
            except _Failure:
                return

        await self._each(load, [ns for ns in names[: self._scan_limit] if ns])
        # Only unrestricted grants count: a rule naming objects does not make the namespace usable.
        return {
            check: tuple(ns for ns in sorted(rules) if rules[ns].allow(msgspec.structs.replace(check, name="")))
            for check in checks
        }
