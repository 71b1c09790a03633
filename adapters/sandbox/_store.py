"""The sandbox's etcd: versioned objects, consistent lists, history and watches.

Rules:
- one global resourceVersion counter; every committed write takes the next value, stamps it on
  the object and records one event (see `_history`); a no-op update commits nothing;
- objects are keyed by (group, plural, namespace, name); "" is the namespace of cluster-scoped
  objects; stored dicts are never mutated, each write stores a new dict, so lists and
  history entries share them safely (callers must not mutate what they get back);
- a list reads one snapshot: the current objects with newer history undone, so pages of one
  list (continue tokens) and exact reads (`resourceVersionMatch=Exact`) are consistent;
- deletion semantics (finalizers, ownerReferences, namespaces) live in `_gc`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import msgspec

from ._gc import Collector, ObjKey
from ._history import History, Obj, Predicate, StoreEvent, Watch, WatchKey, WatchStats
from ._paging import ListPage, paginate, parse_rv, read_point, sort_key
from ._status import MODIFIED, already_exists, conflict, not_found, qualified

__all__ = ["ListPage", "Store", "clone", "rfc3339"]


def clone(obj: Obj) -> Obj:
    """A deep copy, faster than copy.deepcopy for JSON-shaped data."""
    result: Obj = msgspec.json.decode(msgspec.json.encode(obj))
    return result


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# Metadata the server owns: an update keeps what is stored whatever the client sent.
_SERVER_FIELDS = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation")


def _body(obj: Obj) -> Obj:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


def _same(old: Obj, new: Obj) -> bool:
    """Equal apart from resourceVersion and managedFields timestamps."""
    if {k: v for k, v in old.items() if k != "metadata"} != {k: v for k, v in new.items() if k != "metadata"}:
        return False
    skip = ("resourceVersion", "managedFields")
    old_meta, new_meta = old["metadata"], new["metadata"]
    if {k: v for k, v in old_meta.items() if k not in skip} != {
            k: v for k, v in new_meta.items() if k not in skip}:
        return False

    def untimed(meta: Obj) -> list[Obj]:
        return [{k: v for k, v in e.items() if k != "time"} for e in meta.get("managedFields") or []]

    return untimed(old_meta) == untimed(new_meta)


class Store(Collector):
    """In-memory object storage with resourceVersions, history, watches and cascading deletes."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        history_size: int = 10_000,
        watch_buffer: int = 1_000,
        start_rv: int = 1,
    ) -> None:
        self._clock = clock
        self._rv = start_rv
        self._objects = {}
        self._uids = {}
        self._dependents = {}
        self._settling = set()
        self.history = History(size=history_size, watch_buffer=watch_buffer, start_rv=start_rv)
        self._listeners: list[Callable[[StoreEvent], None]] = []

    @property
    def resource_version(self) -> int:
        return self._rv

    def subscribe(self, listener: Callable[[StoreEvent], None]) -> None:
        """Calls `listener` synchronously after every committed write."""
        self._listeners.append(listener)

    def now(self) -> str:
        return rfc3339(self._clock())

    # -- reads ---------------------------------------------------------------------------

    def get(self, group: str, plural: str, namespace: str, name: str) -> Obj | None:
        return self._objects.get((group, plural), {}).get(namespace, {}).get(name)

    def iter_objects(self, group: str, plural: str, namespace: str | None = None) -> Iterator[Obj]:
        by_ns = self._objects.get((group, plural), {})
        spaces = [by_ns.get(namespace, {})] if namespace is not None else list(by_ns.values())
        for names in spaces:
            yield from names.values()

    def namespace_is_empty(self, namespace: str) -> bool:
        return not any(by_ns.get(namespace) for by_ns in self._objects.values())

    def list(
        self,
        group: str,
        plural: str,
        *,
        namespace: str | None = None,
        predicate: Predicate | None = None,
        limit: int = 0,
        continue_token: str = "",
        resource_version: str = "",
        match: str = "",
    ) -> ListPage:
        """A consistent page at one resourceVersion, in key order, as etcd returns it."""
        rv, start = read_point(resource_version=resource_version, match=match, continue_token=continue_token,
                               current=self._rv, floor=self.history.floor)
        items = self._snapshot(group, plural, namespace, rv)
        return paginate(items, rv=rv, start=start, predicate=predicate, limit=limit)

    def _snapshot(self, group: str, plural: str, namespace: str | None, rv: int) -> dict[str, Obj]:
        by_ns = self._objects.get((group, plural), {})
        spaces = {namespace: by_ns.get(namespace, {})} if namespace is not None else by_ns
        items = {sort_key(ns, name): obj for ns, names in spaces.items() for name, obj in names.items()}
        if rv < self._rv:
            # Undo newer writes: the ring keeps each event's prior state.
            for event in self.history.newest_first():
                if event.rv <= rv:
                    break
                if event.group != group or event.plural != plural:
                    continue
                if namespace is not None and event.namespace != namespace:
                    continue
                key = sort_key(event.namespace, event.name)
                if event.previous is None:
                    items.pop(key, None)
                else:
                    items[key] = event.previous
        return items

    # -- watches -------------------------------------------------------------------------

    def watch(
        self,
        group: str,
        plural: str,
        *,
        namespace: str | None = None,
        predicate: Predicate | None = None,
        resource_version: str = "",
        send_initial_events: bool | None = None,
        user: str = "",
    ) -> Watch:
        """Opens a watch; RV ""/"0" (or send_initial_events) starts with the current state as ADDED.

        Raises ApiError 410 when `resource_version` is older than the history.
        """
        key = WatchKey(qualified(group, plural), namespace or "", user)
        synthetic = resource_version in ("", "0") or bool(send_initial_events)
        since = self._rv if synthetic else parse_rv(resource_version)
        if not synthetic:
            self.history.check(since)
        watch = self.history.open(key=key, group=group, plural=plural, namespace=namespace,
                                  predicate=predicate, start_rv=since)
        if synthetic and send_initial_events is not False:
            current = self._snapshot(group, plural, namespace, self._rv)
            watch.initial = [
                StoreEvent("ADDED", int(obj["metadata"]["resourceVersion"]), group, plural,
                           obj["metadata"].get("namespace", ""), obj["metadata"]["name"], obj)
                for _, obj in sorted(current.items())
                if predicate is None or predicate(obj)
            ]
        elif not synthetic:
            watch.initial = [e for e in map(watch.select, self.history.since(since)) if e is not None]
        return watch

    def unwatch(self, watch: Watch) -> None:
        self.history.close(watch)

    def watch_stats(self) -> WatchStats:
        """Open watches (and all watches ever opened) per (resource, namespace, user)."""
        return self.history.stats()

    def compact(self) -> None:
        """Forgets all history: older resourceVersions and continue tokens now get 410."""
        self.history.compact(self._rv)

    # -- writes --------------------------------------------------------------------------

    def create(self, group: str, plural: str, obj: Obj, *, dry_run: bool = False) -> Obj:
        meta = dict(obj["metadata"])
        namespace, name = meta.get("namespace", ""), meta["name"]
        if self.get(group, plural, namespace, name) is not None:
            raise already_exists(group, plural, name)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = self.now()
        for drop in ("deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion", "generation"):
            meta.pop(drop, None)
        if group and "spec" in obj:
            meta["generation"] = 1
        new = {**obj, "metadata": meta}
        if dry_run:
            return new
        return self._commit("ADDED", (group, plural, namespace, name), new, None)

    def update(self, group: str, plural: str, obj: Obj, *, dry_run: bool = False) -> Obj:
        """Replaces an object; a non-empty metadata.resourceVersion is a precondition (409)."""
        meta = dict(obj["metadata"])
        namespace, name = meta.get("namespace", ""), meta["name"]
        current = self.get(group, plural, namespace, name)
        if current is None:
            raise not_found(group, plural, name)
        old_meta = current["metadata"]
        if meta.get("resourceVersion") and meta["resourceVersion"] != old_meta["resourceVersion"]:
            raise conflict(group, plural, name, MODIFIED)
        for kept in _SERVER_FIELDS:
            if kept in old_meta:
                meta[kept] = old_meta[kept]
            else:
                meta.pop(kept, None)
        meta["resourceVersion"] = old_meta["resourceVersion"]
        new = {**obj, "metadata": meta}
        if _same(current, new):
            return current
        if "generation" in meta and _body(current) != _body(new):
            meta["generation"] += 1
        if dry_run:
            return new
        key = (group, plural, namespace, name)
        if "deletionTimestamp" in meta and not meta.get("finalizers"):
            return self._remove(key, new)
        stored = self._commit("MODIFIED", key, new, current)
        self._settle(key)
        return stored

    def delete(
        self,
        group: str,
        plural: str,
        namespace: str,
        name: str,
        *,
        propagation: str = "Background",
        uid: str | None = None,
        resource_version: str | None = None,
        dry_run: bool = False,
    ) -> tuple[Obj, bool]:
        """Deletes or marks for deletion; returns the last state and whether it is gone."""
        current = self.get(group, plural, namespace, name)
        if current is None:
            raise not_found(group, plural, name)
        meta = current["metadata"]
        if uid is not None and uid != meta["uid"]:
            raise conflict(group, plural, name, "Precondition failed: UID in precondition: "
                           f"{uid}, UID in object meta: {meta['uid']}")
        if resource_version is not None and resource_version != meta["resourceVersion"]:
            raise conflict(group, plural, name, "Precondition failed: ResourceVersion in precondition: "
                           f"{resource_version}, ResourceVersion in object meta: {meta['resourceVersion']}")
        if dry_run:
            return current, False
        key = (group, plural, namespace, name)
        if (group, plural) == ("", "namespaces"):
            return self._delete_namespace(key, current)
        return self._delete(key, current, propagation)

    def purge(self, group: str, plural: str) -> None:
        """Removes every object of a resource at once, ignoring finalizers (a CRD went away)."""
        for obj in list(self.iter_objects(group, plural)):
            meta = obj["metadata"]
            self._remove((group, plural, meta.get("namespace", ""), meta["name"]), obj)
        self._objects.pop((group, plural), None)

    # -- primitives ----------------------------------------------------------------------

    def _commit(self, kind: str, key: ObjKey, obj: Obj, previous: Obj | None) -> Obj:
        self._rv += 1
        obj["metadata"]["resourceVersion"] = str(self._rv)
        group, plural, namespace, name = key
        self._objects.setdefault((group, plural), {}).setdefault(namespace, {})[name] = obj
        self._index(key, previous, obj)
        self._publish(StoreEvent(kind, self._rv, group, plural, namespace, name, obj, previous))
        return obj

    def _unlink(self, key: ObjKey, last: Obj) -> Obj:
        group, plural, namespace, name = key
        previous = self.get(*key) or last
        by_ns = self._objects[(group, plural)]
        del by_ns[namespace][name]
        if not by_ns[namespace]:
            del by_ns[namespace]
        self._index(key, previous, None)
        self._rv += 1
        gone = {**last, "metadata": {**last["metadata"], "resourceVersion": str(self._rv)}}
        self._publish(StoreEvent("DELETED", self._rv, group, plural, namespace, name, gone, previous))
        return gone

    def _publish(self, event: StoreEvent) -> None:
        self.history.record(event)
        for listener in self._listeners:
            listener(event)

    def _index(self, key: ObjKey, old: Obj | None, new: Obj | None) -> None:
        """Keeps uid -> key and owner uid -> dependents in step with a write."""
        for obj, add in ((old, False), (new, True)):
            if obj is None:
                continue
            meta = obj["metadata"]
            if add:
                self._uids[meta["uid"]] = key
            for ref in meta.get("ownerReferences") or []:
                dependents = self._dependents.setdefault(ref.get("uid", ""), set())
                if add:
                    dependents.add(key)
                else:
                    dependents.discard(key)
        if new is None and old is not None:
            self._uids.pop(old["metadata"]["uid"], None)
