"""A ``periscope sandbox`` process shared by the CLI tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from .helpers import Running


class SandboxFiles(msgspec.Struct):
    kubeconfig: Path
    registry: Path
    stdout: list[str]


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxFiles]:
    """``periscope sandbox`` running for the whole session, with its files written."""
    tmp = tmp_path_factory.mktemp("sandbox")
    files = SandboxFiles(tmp / "kubeconfig", tmp / "clusters.yaml", [])
    proc = Running(
        "sandbox", "--kubeconfig", str(files.kubeconfig), "--registry", str(files.registry), "--no-churn", tmp=tmp
    )
    try:
        files.stdout.extend(proc.read_until("try: "))
        yield files
        assert proc.terminate() == 0
    finally:
        proc.kill()
