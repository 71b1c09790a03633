"""EKS bearer tokens: a presigned STS ``GetCallerIdentity`` URL, wrapped for the Authorization header.

A client presigns ``GET https://sts.<region>.amazonaws.com/?Action=GetCallerIdentity&...``
with the header ``x-k8s-aws-id: <cluster name>`` inside the SigV4 signature, and sends
``k8s-aws-v1.`` + base64url(URL) without padding. The apiserver's authenticator checks
the URL, calls it with the same header, and maps the caller's ARN to a Kubernetes user.

Only the wrapping and the checks an authenticator makes before calling out live here;
signing and calling are the adapters' business.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import msgspec

from periscope_core.protocols.errors import RemoteProtocolError

__all__ = [
    "CLUSTER_ID_HEADER",
    "PRESIGN_EXPIRES_SECONDS",
    "TOKEN_LIFETIME",
    "TOKEN_PREFIX",
    "PresignedIdentity",
    "caller_arn_to_principal",
    "decode_token",
    "encode_token",
]

TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_ID_HEADER = "x-k8s-aws-id"
PRESIGN_EXPIRES_SECONDS = 60
"""The ``X-Amz-Expires`` every EKS client signs with."""
TOKEN_LIFETIME = timedelta(minutes=15)
"""How long after ``X-Amz-Date`` EKS accepts a token, whatever ``X-Amz-Expires`` says."""


class PresignedIdentity(msgspec.Struct, frozen=True):
    """What a decoded token asks the authenticator to call."""

    url: str
    host: str
    signed_at: datetime


def encode_token(presigned_url: str) -> str:
    return TOKEN_PREFIX + base64.urlsafe_b64encode(presigned_url.encode()).decode().rstrip("=")


def decode_token(token: str, *, now: datetime) -> PresignedIdentity:
    """Unwrap and check a token; raises RemoteProtocolError saying what is wrong with it."""
    if not token.startswith(TOKEN_PREFIX):
        raise RemoteProtocolError("not an EKS token")
    payload = token.removeprefix(TOKEN_PREFIX)
    try:
        url = base64.b64decode(payload + "=" * (-len(payload) % 4), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise RemoteProtocolError("the token is not base64url") from exc
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.path not in ("", "/"):
        raise RemoteProtocolError("the token does not hold an STS URL")
    if query.get("Action") != "GetCallerIdentity":
        raise RemoteProtocolError("the token's URL is not a GetCallerIdentity call")
    signed = query.get("X-Amz-SignedHeaders", "").split(";")
    if CLUSTER_ID_HEADER not in signed:
        raise RemoteProtocolError(f"the token's signature does not cover {CLUSTER_ID_HEADER}")
    try:
        signed_at = datetime.strptime(query.get("X-Amz-Date", ""), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise RemoteProtocolError("the token has no valid X-Amz-Date") from exc
    if now - signed_at > TOKEN_LIFETIME or signed_at - now > timedelta(minutes=5):
        raise RemoteProtocolError("the token has expired")
    return PresignedIdentity(url=url, host=parts.netloc.lower(), signed_at=signed_at)


def caller_arn_to_principal(arn: str) -> str:
    """The IAM principal a caller ARN stands for: an assumed-role session maps to its role.

    ``arn:aws:sts::111:assumed-role/periscope-base/session`` -> ``arn:aws:iam::111:role/periscope-base``,
    as EKS access entries and aws-auth match roles, not sessions.
    """
    prefix, _, resource = arn.partition(":assumed-role/")
    if not resource:
        return arn
    partition_and_account = prefix.split(":")
    if len(partition_and_account) != 5:
        return arn
    _, partition, _, _, account = partition_and_account
    role = resource.split("/")[0]
    return f"arn:{partition}:iam::{account}:role/{role}"
