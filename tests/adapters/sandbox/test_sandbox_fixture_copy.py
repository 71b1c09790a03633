"""The sandbox ships a copy of the shared fixtures; it must not drift from them."""

from __future__ import annotations

from pathlib import Path

import pytest

import periscope_adapters.sandbox

DATA = Path(periscope_adapters.sandbox.__file__).resolve().parent / "data"
# shared/ sits beside the checkout in development and CI; a bare clone elsewhere has none.
SHARED = Path(__file__).resolve().parents[4] / "shared" / "fixtures"


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared/fixtures is not beside this checkout")
@pytest.mark.parametrize("folder", ["crds", "karpenter-events"])
def test_the_packaged_copy_matches_the_shared_fixtures(folder: str) -> None:
    shared = {p.name: p.read_bytes() for p in (SHARED / folder).iterdir() if p.is_file()}
    packaged = {p.name: p.read_bytes() for p in (DATA / folder).iterdir() if p.is_file()}
    assert packaged == shared
