"""EKS tokens: wrapping a presigned STS URL, and the checks made before anyone calls it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from periscope_core.protocols.eks_token import (
    TOKEN_PREFIX,
    caller_arn_to_principal,
    decode_token,
    encode_token,
)
from periscope_core.protocols.errors import RemoteProtocolError

SIGNED_AT = datetime(2026, 11, 22, 8, 0, 0, tzinfo=UTC)


def presigned(
    *, host: str = "sts.eu-west-1.amazonaws.com", action: str = "GetCallerIdentity",
    signed: str = "host;x-k8s-aws-id", date: str = "20261122T080000Z",
) -> str:  # fmt: skip
    return (f"https://{host}/?Action={action}&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256"
            f"&X-Amz-Credential=AKIA%2F20261122%2Feu-west-1%2Fsts%2Faws4_request&X-Amz-Date={date}"
            f"&X-Amz-Expires=60&X-Amz-SignedHeaders={signed.replace(';', '%3B')}&X-Amz-Signature=abc123")  # fmt: skip


def test_a_token_round_trips_without_padding() -> None:
    url = presigned()
    token = encode_token(url)
    assert token.startswith(TOKEN_PREFIX)
    assert not token.endswith("=")
    decoded = decode_token(token, now=SIGNED_AT + timedelta(minutes=14))
    assert (decoded.url, decoded.host, decoded.signed_at) == (url, "sts.eu-west-1.amazonaws.com", SIGNED_AT)


@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=40))
def test_any_query_survives_the_wrapping(extra: str) -> None:
    url = presigned() + "&x=" + extra.replace("&", "").replace("#", "")
    assert decode_token(encode_token(url), now=SIGNED_AT).url == url


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("k8s-aws-v2." + encode_token(presigned()).removeprefix(TOKEN_PREFIX), "not an EKS token"),
        (TOKEN_PREFIX + "%%%", "base64url"),
        (encode_token("file:///etc/passwd"), "STS URL"),
        (encode_token(presigned(action="AssumeRole")), "GetCallerIdentity"),
        (encode_token(presigned(signed="host")), "x-k8s-aws-id"),
        (encode_token(presigned(date="yesterday")), "X-Amz-Date"),
    ],
)
def test_malformed_tokens_are_refused_with_the_reason(token: str, reason: str) -> None:
    with pytest.raises(RemoteProtocolError, match=reason):
        decode_token(token, now=SIGNED_AT)


@pytest.mark.parametrize("offset", [timedelta(minutes=15, seconds=1), timedelta(minutes=-6)])
def test_tokens_are_good_for_fifteen_minutes_and_not_from_the_future(offset: timedelta) -> None:
    with pytest.raises(RemoteProtocolError, match="expired"):
        decode_token(encode_token(presigned()), now=SIGNED_AT + offset)


@pytest.mark.parametrize(
    ("arn", "principal"),
    [
        ("arn:aws:sts::111122223333:assumed-role/periscope-base/botocore-session-1",
         "arn:aws:iam::111122223333:role/periscope-base"),
        ("arn:aws-us-gov:sts::111122223333:assumed-role/ops/s", "arn:aws-us-gov:iam::111122223333:role/ops"),
        ("arn:aws:iam::111122223333:user/periscope", "arn:aws:iam::111122223333:user/periscope"),
    ],
)  # fmt: skip
def test_an_assumed_role_session_maps_to_its_role(arn: str, principal: str) -> None:
    assert caller_arn_to_principal(arn) == principal
