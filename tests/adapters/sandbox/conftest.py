"""The real Karpenter CRDs and a sandbox catalog that serves them.

They come from the sandbox's package data, an unchanged copy of the shared fixtures,
so the tests read exactly what the sandbox serves wherever the checkout sits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import periscope_adapters.sandbox
from periscope_adapters.sandbox._catalog import Catalog

CRD_DIR = Path(periscope_adapters.sandbox.__file__).resolve().parent / "data" / "crds"


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
