"""The real Karpenter CRDs (shared fixtures) and a sandbox catalog that serves them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from periscope_adapters.sandbox._catalog import Catalog

# shared/ sits beside the repository checkout, in development and in CI alike.
CRD_DIR = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "crds"


@pytest.fixture(scope="session")
def karpenter_crds() -> dict[str, dict[str, Any]]:
    """The NodePool, NodeClaim and EC2NodeClass CRDs, keyed by kind."""
    crds = [yaml.safe_load(path.read_text()) for path in sorted(CRD_DIR.glob("*.yaml"))]
    return {crd["spec"]["names"]["kind"]: crd for crd in crds}


@pytest.fixture
def karpenter_catalog(karpenter_crds: dict[str, dict[str, Any]]) -> Catalog:
    catalog = Catalog.builtin()
    for crd in karpenter_crds.values():
        catalog.add_crd(crd)
    return catalog
