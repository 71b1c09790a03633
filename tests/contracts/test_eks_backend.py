"""The eks backend beyond the contract: registry checks, token reuse, AWS failures, and what the
cluster's authenticator refuses. moto plays EKS and STS; the cluster is a served sandbox."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import anyio
import pytest

from periscope_adapters.eks import EksBackend, StsTokenSource
from periscope_adapters.sandbox import ADMIN_USER, AwsIamAuthenticator
from periscope_core.domain.clusters import ClusterEntry
from periscope_core.domain.errors import ClusterUnreachable, Unauthorized
from periscope_core.ports.backends import BackendContext
from periscope_core.protocols.eks_token import TOKEN_PREFIX, decode_token, encode_token
from periscope_core.services.kube import KubeClient
from periscope_core.testing.contracts._support import PODS

from .sandbox_adapters import KEY_ID, KEY_SECRET, WORKER, EksAccount, ServedFleet, eks_connection

ARN = "arn:aws:eks:eu-west-1:111122223333:cluster/prod-eu"


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({}, ("arn", "needs its ARN")),
        ({"arn": "arn:aws:eks:eu-west-1:111122223333:nodegroup/prod-eu"}, ("arn", "not an EKS cluster ARN")),
        ({"arn": ARN}, ("region", "needs its region")),
        ({"arn": ARN, "region": "us-east-1"}, ("region", "not the region in the ARN")),
    ],
)
def test_registry_entries_are_checked(fields: dict[str, str], problem: tuple[str, str]) -> None:
    [(field, message)] = EksBackend().validate(ClusterEntry(name="prod-eu", backend="eks", **fields))
    assert field == problem[0]
    assert problem[1] in message


def test_a_well_formed_entry_passes() -> None:
    assert EksBackend().validate(ClusterEntry(name="prod-eu", backend="eks", arn=ARN, region="eu-west-1")) == []


async def test_requests_share_one_token_until_it_is_due(eks_account: EksAccount) -> None:
    now = [0.0]
    source = StsTokenSource(_session(), cluster_name="contract", region=eks_account.region,
                            endpoint_url=eks_account.sts_url, clock=lambda: now[0])  # fmt: skip
    tokens = set()
    async with anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(lambda: _collect(source, tokens))
    assert len(tokens) == 1
    first = tokens.pop()
    query = parse_qs(urlsplit(decode_token(first, now=datetime.now(UTC)).url).query)
    assert "x-k8s-aws-id" in query["X-Amz-SignedHeaders"][0].split(";")
    assert query["X-Amz-Expires"] == ["60"]
    now[0] = 9 * 60.0
    assert await source.token() == first
    now[0] = 10 * 60.0
    await anyio.sleep(1.0)  # a new signature needs a new X-Amz-Date, which has a resolution of a second
    assert await source.token() != first


async def _collect(source: StsTokenSource, into: set[str]) -> None:
    into.add(await source.token())


def _session() -> object:
    from aiobotocore.session import AioSession

    session = AioSession()
    session.set_credentials(KEY_ID, KEY_SECRET)
    return session


async def test_a_cluster_eks_does_not_know_is_reported_with_aws_s_error(eks_account: EksAccount) -> None:
    entry = ClusterEntry(name="ghost", backend="eks", region=eks_account.region,
                         arn=f"arn:aws:eks:{eks_account.region}:{eks_account.account}:cluster/ghost")  # fmt: skip
    with pytest.raises(ClusterUnreachable, match="ResourceNotFoundException"):
        await eks_account.backend().connect(entry, BackendContext())


async def test_without_aws_credentials_connect_says_so(
    eks_account: EksAccount, served: ServedFleet, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "AWS_WEB_IDENTITY_TOKEN_FILE"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    arn = eks_account.register("contract", server=served.cluster.url, ca_pem=served.fleet.ca.ca_pem)
    backend = EksBackend(eks_endpoint_url=eks_account.eks_url, sts_endpoint_url=eks_account.sts_url)
    with pytest.raises(ClusterUnreachable, match="Credentials"):
        await backend.connect(ClusterEntry(name="contract", backend="eks", arn=arn, region=eks_account.region),
                              BackendContext())  # fmt: skip


async def test_the_cluster_lists_as_the_mapped_identity(eks_account: EksAccount, served: ServedFleet) -> None:
    transport = await eks_connection(eks_account, served, served.cluster.url).connect()
    try:
        pods = await KubeClient(transport, cluster="contract").list(PODS, namespace=WORKER.namespace)
        assert [p["metadata"]["name"] for p in pods.items] == [WORKER.name]
    finally:
        await transport.aclose()


class _Recorder:
    """An HTTP peer that answers like STS for anyone and remembers being asked."""

    def __init__(self) -> None:
        self.asked = 0

    async def __aenter__(self) -> str:
        from aiohttp import web

        async def identity(_: web.Request) -> web.Response:
            self.asked += 1
            return web.Response(text="<GetCallerIdentityResponse><GetCallerIdentityResult>"
                                     f"<Arn>{ADMIN_ARN}</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>")

        app = web.Application()
        app.router.add_get("/", identity)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def __aexit__(self, *_: object) -> None:
        await self._runner.cleanup()


ADMIN_ARN = "arn:aws:iam::111122223333:role/periscope-base"


def _token(host: str, *, cluster: str = "contract", signed_at: datetime | None = None) -> str:
    date = (signed_at or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return encode_token(f"{host}/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Date={date}"
                        f"&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=00")  # fmt: skip


async def test_the_authenticator_only_calls_the_sts_it_trusts() -> None:
    recorder, other = _Recorder(), _Recorder()
    async with recorder as trusted, other as elsewhere:
        authenticator = AwsIamAuthenticator(cluster_name="contract", sts_endpoint=trusted,
                                            access_entries={ADMIN_ARN: ADMIN_USER})  # fmt: skip
        assert await authenticator(_token(trusted)) == ADMIN_USER
        assert await authenticator(_token(elsewhere)) is None
        assert (recorder.asked, other.asked) == (1, 0)  # the foreign URL was never fetched
        stale = datetime.now(UTC) - timedelta(minutes=16)
        assert await authenticator(_token(trusted, signed_at=stale)) is None
        assert await authenticator(TOKEN_PREFIX + base64.urlsafe_b64encode(b"garbage").decode()) is None
        assert recorder.asked == 1
        authenticator.access_entries.clear()
        assert await authenticator(_token(trusted)) is None  # proven, but not mapped to anybody


async def test_a_token_refused_by_the_cluster_is_unauthorized(eks_account: EksAccount, served: ServedFleet) -> None:
    authenticator = served.cluster.server.token_webhook
    assert isinstance(authenticator, AwsIamAuthenticator)
    saved = dict(authenticator.access_entries)
    authenticator.access_entries.clear()
    transport = await eks_connection(eks_account, served, served.cluster.url).connect()
    try:
        with pytest.raises(Unauthorized):
            await KubeClient(transport, cluster="contract").list(PODS, namespace=WORKER.namespace)
    finally:
        authenticator.access_entries.update(saved)
        await transport.aclose()
