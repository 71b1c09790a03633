"""Reading a list at a resourceVersion, a page at a time, as etcd-backed lists behave.

A continue token is unpadded URL-safe base64 of `{"v":"meta.k8s.io/v1","rv":N,"start":"<key>\\x00"}`,
where the key is `namespace/name` (or `name`) of the last item returned: the next page
starts strictly after it, read from the snapshot at `rv`. Keys sort as etcd sorts them.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

import msgspec

from ._status import ApiError, Cause, bad_request, expired, invalid, status

Obj = dict[str, Any]
_VERSION = "meta.k8s.io/v1"
_LIST_TOO_OLD = "The resourceVersion for the provided list is too old."
_CONTINUE_TOO_OLD = (
    "The provided continue parameter is too old to display a consistent list result. You can start a "
    "new list without the continue parameter, or use the continue token in this response to retrieve "
    "the remainder of the results. Continuing with the provided token results in an inconsistent list "
    "- objects that were created, modified, or deleted between the time the first chunk was returned "
    "and now may show up in the list."
)


class ListPage(msgspec.Struct, frozen=True):
    items: list[Obj]
    resource_version: str
    continue_token: str = ""
    remaining: int | None = None


class _Token(msgspec.Struct):
    v: str = ""
    rv: int = 0
    start: str = ""


def sort_key(namespace: str, name: str) -> str:
    return f"{namespace}/{name}" if namespace else name


def encode_continue(resource_version: int, last_key: str) -> str:
    raw = msgspec.json.encode(_Token(v=_VERSION, rv=resource_version, start=last_key + "\x00"))
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_continue(token: str) -> tuple[int, str]:
    """Returns (resourceVersion, start key); the start key sorts just after the last item."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        decoded = msgspec.json.decode(raw, type=_Token)
    except (binascii.Error, ValueError, msgspec.DecodeError) as exc:
        raise _invalid(str(exc)) from exc
    if decoded.v != _VERSION:
        raise _invalid("server does not recognize this encoded version")
    if decoded.rv <= 0:
        raise _invalid(f"incorrect encoded start resourceVersion (version {_VERSION})")
    if not decoded.start:
        raise _invalid(f"encoded start key empty (version {_VERSION})")
    return decoded.rv, decoded.start


def _invalid(why: str) -> ApiError:
    return bad_request(f"invalid continue token: continue key is not valid: {why}")


def parse_rv(value: str) -> int:
    try:
        rv = int(value)
    except ValueError:
        rv = -1
    if rv < 0:
        raise ApiError(status(400, f"invalid resource version: {value}"))
    return rv


def too_large(wanted: int, current: int) -> ApiError:
    cause = {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
    body = status(504, f"Too large resource version: {wanted}, current: {current}", reason="Timeout",
                  details={"causes": [cause], "retryAfterSeconds": 1})
    return ApiError(body)


def read_point(
    *, resource_version: str, match: str, continue_token: str, current: int, floor: int
) -> tuple[int, str]:
    """(resourceVersion to read at, key to start after) for a list request; 410 when forgotten."""
    if continue_token:
        if resource_version not in ("", "0"):
            raise bad_request("specifying resource version is not allowed when using continue")
        rv, start = decode_continue(continue_token)
        if rv < floor:
            raise expired(_CONTINUE_TOO_OLD, continue_token=encode_continue(current, start[:-1]))
        return rv, start
    if match and not resource_version:
        raise _invalid_options(Cause.forbidden(
            "resourceVersionMatch", "resourceVersionMatch is forbidden unless resourceVersion is provided"))
    if match not in ("", "Exact", "NotOlderThan"):
        detail = f'Unsupported value: "{match}": supported values: "Exact", "NotOlderThan"'
        raise _invalid_options(Cause("FieldValueNotSupported", "resourceVersionMatch", detail))
    if resource_version in ("", "0"):
        return current, ""
    wanted = parse_rv(resource_version)
    if wanted > current:
        raise too_large(wanted, current)
    if match != "Exact":
        return current, ""
    if wanted < floor:
        raise expired(_LIST_TOO_OLD)
    return wanted, ""


def _invalid_options(cause: Cause) -> ApiError:
    return invalid("ListOptions", "", [cause], group="meta.k8s.io")


def paginate(
    items: dict[str, Obj], *, rv: int, start: str, predicate: Callable[[Obj], bool] | None, limit: int
) -> ListPage:
    """Up to `limit` matching items after `start`; a continue token if any key remains unread."""
    keys = sorted(k for k in items if k >= start) if start else sorted(items)
    page: list[Obj] = []
    examined = len(keys)
    for index, key in enumerate(keys):
        obj = items[key]
        if predicate is not None and not predicate(obj):
            continue
        page.append(obj)
        if limit and len(page) == limit:
            examined = index + 1
            break
    if examined >= len(keys):
        return ListPage(page, str(rv))
    remaining = None if predicate is not None else len(keys) - examined
    return ListPage(page, str(rv), encode_continue(rv, keys[examined - 1]), remaining)
