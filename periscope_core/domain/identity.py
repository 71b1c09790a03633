"""Who is asking, and whom the cluster should believe is asking."""

from __future__ import annotations

from urllib.parse import quote

import msgspec


class Principal(msgspec.Struct, frozen=True):
    """The human behind a request, as the identity provider vouched for them."""

    subject: str
    email: str = ""
    groups: tuple[str, ...] = ()


class Impersonation(msgspec.Struct, frozen=True):
    """The identity Kubernetes calls are made as.

    Built by Periscope from a verified Principal, never copied from a client's
    headers; an empty ``user`` means the bridge identity itself (shared mode).
    """

    user: str = ""
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def is_bridge(self) -> bool:
        return not self.user

    def headers(self) -> list[tuple[str, str]]:
        """The Impersonate-* headers, one header per group as the apiserver expects."""
        if self.is_bridge:
            return []
        out = [("Impersonate-User", self.user)]
        out.extend(("Impersonate-Group", g) for g in self.groups)
        if self.uid:
            out.append(("Impersonate-Uid", self.uid))
        out.extend((f"Impersonate-Extra-{quote(k.lower(), safe='')}", v) for k, v in self.extra)
        return out

    def cache_key(self) -> str:
        """A stable key for per-identity caches and shared watches."""
        return "\x1f".join((self.user, ",".join(sorted(self.groups)), self.uid))


BRIDGE = Impersonation()
