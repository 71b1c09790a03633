"""Run the installed ``periscope`` command as a user would, in subprocesses."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

PERISCOPE = str(Path(sys.executable).parent / "periscope")


def env(tmp: Path, **extra: str) -> dict[str, str]:
    """A clean environment: no registry from the caller's shell, data under ``tmp``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("PERISCOPE_") and k != "PORT"}
    return {**base, "PERISCOPE_DATA_DIR": str(tmp / "data"), **extra}


def run(*args: str, tmp: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PERISCOPE, *args], capture_output=True, text=True, timeout=timeout, env=env(tmp), check=False
    )


class Running:
    """A long-running command whose stdout is read line by line in the background."""

    def __init__(self, *args: str, tmp: Path) -> None:
        self.process = subprocess.Popen(
            [PERISCOPE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(tmp)
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, prefix: str, timeout: float = 60) -> str:
        """The first stdout line starting with ``prefix``."""
        return self.read_until(prefix, timeout)[-1]

    def read_until(self, prefix: str, timeout: float = 60) -> list[str]:
        """Stdout lines up to and including the first one starting with ``prefix``."""
        seen: list[str] = []
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                stderr = "" if self.process.poll() is None else self.process.stderr.read()  # type: ignore[union-attr]
                raise AssertionError(f"no line starting {prefix!r}; got {seen}; stderr {stderr}") from None
            seen.append(line)
            if line.startswith(prefix):
                return seen

    def terminate(self, timeout: float = 30) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
