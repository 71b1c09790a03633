"""Helm's own engine (helm-python-sdk) as both chart test modules use it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

helm = pytest.importorskip("helm_python", reason="helm-python-sdk (Helm's engine) is not installed")
kubernetes_validate = pytest.importorskip("kubernetes_validate")

KUBE_VERSION = "1.31.0"


def render(chart: Path, values: dict[str, Any], *, release: str, namespace: str) -> list[dict[str, Any]]:
    """Every object the chart renders, in template order."""
    rendered = helm.Chart.load(str(chart)).render(values, name=release, namespace=namespace)
    return [
        doc
        for path, text in sorted(rendered.items())
        if path.endswith(".yaml")
        for doc in yaml.safe_load_all(text)
        if doc
    ]


def lint_problems(chart: Path, values: dict[str, Any]) -> list[Any]:
    """Errors and warnings of `helm lint --strict` against the Kubernetes version the tests validate with."""
    report = helm.lint(str(chart), values, strict=True, kube_version=f"v{KUBE_VERSION}")
    return [*report["errors"], *(m for m in report["messages"] if m["severity"] >= 2)]


def validate(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)
