"""``periscope serve`` and live streams: the start-up line, a bad setting, and SIGTERM with streams open."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import httpx

from periscope_core.protocols.sse import SSEDecoder

from .conftest import SandboxFiles
from .helpers import PERISCOPE, Running, env


def test_an_unknown_watch_streams_token_is_one_error_line_and_exit_2(tmp_path: Path) -> None:
    result = subprocess.run([PERISCOPE, "serve", "--port", "0"], capture_output=True, text=True, timeout=60,
                            env=env(tmp_path, PERISCOPE_WATCH_STREAMS="pods,banana"), check=False)  # fmt: skip
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: ")
    assert "PERISCOPE_WATCH_STREAMS" in result.stderr
    assert "'banana'" in result.stderr


def test_sigterm_ends_open_streams_with_server_shutdown_then_exits(sandbox: SandboxFiles, tmp_path: Path) -> None:
    server = Running("serve", "--port", "0", "--clusters", str(sandbox.registry), tmp=tmp_path)
    try:
        lines = server.read_until("Periscope is serving ")
        assert any(line.startswith("watch streams enabled: pods, events,") for line in lines), lines
        url = lines[-1].split()[3]
        cluster = sandbox.stdout[0].split()[1].rstrip(":")
        decoder = SSEDecoder()
        names: list[str] = []
        path = f"/api/clusters/{cluster}/pods/watch"
        with httpx.Client(base_url=url, timeout=10) as http, http.stream("GET", path) as response:
            for chunk in response.iter_raw():
                decoder.receive_data(chunk)
                names += [event.event for event in decoder.events()]
                if names == ["snapshot"]:
                    stopping = time.monotonic()
                    server.process.send_signal(signal.SIGTERM)
        assert names[-1] == "server_shutdown"
        assert server.process.wait(timeout=30) == 0
        # The stream did not hold the shutdown until uvicorn's graceful timeout (10 s).
        assert time.monotonic() - stopping < 5.0
    finally:
        server.kill()
