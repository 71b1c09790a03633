"""Two package roots are renamed in pyproject; a package left off the list would be
missing from a built wheel while still importing fine from the checkout."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROOTS = {"periscope_core": "periscope_core", "periscope_adapters": "adapters", "periscope_entrypoints": "entrypoints"}


def test_every_package_directory_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = set()
    for name, directory in ROOTS.items():
        for init in (ROOT / directory).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / directory)
            if "static" in rel.parts or "node_modules" in rel.parts:
                continue
            found.add(".".join((name, *rel.parts)))
    assert found - listed == set(), "add these to [tool.setuptools] packages"
