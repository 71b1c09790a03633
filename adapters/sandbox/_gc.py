"""Deletion semantics layered on the store: finalizers, ownerReferences GC, namespace cleanup.

Rules:
- an object with finalizers is only marked (`deletionTimestamp`); it goes once they are gone;
- Background: the owner goes first, then each dependent whose owners are all gone is
  deleted the same way (one still owned by a live object just loses the reference);
- Foreground: the owner keeps a `foregroundDeletion` finalizer until its dependents are gone;
- Orphan: the `orphan` finalizer stays until the dependents no longer reference the owner;
- a namespace being deleted is Terminating, its contents are deleted, and it goes once empty.
The garbage collector and namespace controller act synchronously, within the same call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Obj = dict[str, Any]
ObjKey = tuple[str, str, str, str]
FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"
_GC_FINALIZERS = {"Foreground": FOREGROUND, "Orphan": ORPHAN}


class Collector:
    """Mixed into the store: the deletion paths, which need its index of dependents."""

    _objects: dict[tuple[str, str], dict[str, dict[str, Obj]]]
    _uids: dict[str, ObjKey]
    _dependents: dict[str, set[ObjKey]]
    _settling: set[str]

    def get(self, group: str, plural: str, namespace: str, name: str) -> Obj | None:
        raise NotImplementedError

    def now(self) -> str:
        raise NotImplementedError

    def namespace_is_empty(self, namespace: str) -> bool:
        raise NotImplementedError

    def _commit(self, kind: str, key: ObjKey, obj: Obj, previous: Obj | None) -> Obj:
        raise NotImplementedError

    def _unlink(self, key: ObjKey, last: Obj) -> Obj:
        """Removes the object and records DELETED; returns the object as deleted."""
        raise NotImplementedError

    def _rewrite(self, key: ObjKey, change: Callable[[Obj], None]) -> Obj | None:
        """Applies a metadata change as one write; removes the object if that frees it."""
        current = self.get(*key)
        if current is None:
            return None
        new = {**current, "metadata": dict(current["metadata"])}
        change(new["metadata"])
        if "deletionTimestamp" in new["metadata"] and not new["metadata"].get("finalizers"):
            self._remove(key, new)
            return None
        stored = self._commit("MODIFIED", key, new, current)
        self._settle(key)
        return stored

    def _remove(self, key: ObjKey, last: Obj) -> Obj:
        gone = self._unlink(key, last)
        uid = gone["metadata"]["uid"]
        for dep in sorted(self._dependents.pop(uid, ())):
            self._collect(dep, uid)
        for ref in gone["metadata"].get("ownerReferences") or []:
            owner = self._uids.get(ref.get("uid", ""))
            if owner is not None:
                self._settle(owner)
        if key[2]:
            self._finish_namespace(key[2])
        return gone

    def _delete(self, key: ObjKey, current: Obj, propagation: str) -> tuple[Obj, bool]:
        meta = current["metadata"]
        finalizers = list(meta.get("finalizers") or [])
        gc_finalizer = _GC_FINALIZERS.get(propagation)
        if gc_finalizer and self._dependents.get(meta["uid"]) and gc_finalizer not in finalizers:
            finalizers.append(gc_finalizer)
        if not finalizers:
            return self._remove(key, current), True
        if "deletionTimestamp" in meta and finalizers == meta.get("finalizers"):
            return current, False

        def mark(m: Obj) -> None:
            m.setdefault("deletionTimestamp", self.now())
            m.setdefault("deletionGracePeriodSeconds", 0)
            m["finalizers"] = finalizers
            if "generation" in m and "deletionTimestamp" not in meta:
                m["generation"] += 1

        marked = self._rewrite(key, mark)
        latest = self.get(*key)  # the collector may have finished the job already
        return (latest, False) if latest is not None else (marked or current, True)

    def _settle(self, key: ObjKey) -> None:
        """The garbage collector's part for an object being deleted with a GC finalizer."""
        obj = self.get(*key)
        if obj is None or "deletionTimestamp" not in obj["metadata"]:
            return
        uid = obj["metadata"]["uid"]
        if uid in self._settling:
            return  # the outer call finishes the job once its loop is done
        self._settling.add(uid)
        try:
            self._settle_dependents(key, uid, obj["metadata"].get("finalizers") or [])
        finally:
            self._settling.discard(uid)

    def _settle_dependents(self, key: ObjKey, uid: str, finalizers: list[str]) -> None:
        dependents = sorted(self._dependents.get(uid, ()))
        if ORPHAN in finalizers:
            for dep in dependents:
                self._rewrite(dep, _without_owner(uid))
            self._drop_finalizer(key, ORPHAN)
        elif FOREGROUND in finalizers:
            for dep in dependents:
                dep_obj = self.get(*dep)
                if dep_obj is not None and "deletionTimestamp" not in dep_obj["metadata"]:
                    self._delete(dep, dep_obj, "Foreground")
            if not self._dependents.get(uid):
                self._drop_finalizer(key, FOREGROUND)

    def _drop_finalizer(self, key: ObjKey, finalizer: str) -> None:
        def drop(m: Obj) -> None:
            m["finalizers"] = [f for f in m.get("finalizers", []) if f != finalizer]

        self._rewrite(key, drop)

    def _collect(self, key: ObjKey, owner_uid: str) -> None:
        """Background GC of one dependent whose owner is gone."""
        obj = self.get(*key)
        if obj is None:
            return
        refs = obj["metadata"].get("ownerReferences") or []
        if any(r.get("uid") in self._uids for r in refs if r.get("uid") != owner_uid):
            self._rewrite(key, _without_owner(owner_uid))
        elif "deletionTimestamp" not in obj["metadata"]:
            self._delete(key, obj, "Background")

    def _delete_namespace(self, key: ObjKey, current: Obj) -> tuple[Obj, bool]:
        if "deletionTimestamp" in current["metadata"]:
            return current, False
        new = {**current, "metadata": dict(current["metadata"]),
               "status": {**current.get("status", {}), "phase": "Terminating"}}
        new["metadata"]["deletionTimestamp"] = self.now()
        marked = self._commit("MODIFIED", key, new, current)
        name = key[3]
        for (group, plural), by_ns in list(self._objects.items()):
            for child_name in sorted(by_ns.get(name, {})):
                child = (group, plural, name, child_name)
                latest = self.get(*child)
                if latest is not None and "deletionTimestamp" not in latest["metadata"]:
                    self._delete(child, latest, "Background")
        self._finish_namespace(name)
        return marked, self.get(*key) is None

    def _finish_namespace(self, namespace: str) -> None:
        ns = self.get("", "namespaces", "", namespace)
        if ns is None or "deletionTimestamp" not in ns["metadata"] or not self.namespace_is_empty(namespace):
            return
        if not ns["metadata"].get("finalizers"):
            self._remove(("", "namespaces", "", namespace), ns)


def _without_owner(uid: str) -> Callable[[Obj], None]:
    def change(meta: Obj) -> None:
        refs = [r for r in meta.get("ownerReferences") or [] if r.get("uid") != uid]
        if refs:
            meta["ownerReferences"] = refs
        else:
            meta.pop("ownerReferences", None)

    return change
