"""The EKS views on the demo fleet, whose clusters are not EKS: a clear 422, never a 500."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize("view", ["upgrade-insights", "nodegroups", "addons", "addons/catalog"])
def test_a_cluster_on_another_backend_answers_not_eks(http: httpx.Client, view: str) -> None:
    response = http.get(f"/api/clusters/prod/eks/{view}")
    assert response.status_code == 422
    assert response.json()["error"] == "E_NOT_EKS"
    assert "kubeconfig backend" in response.json()["message"]
