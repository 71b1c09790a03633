"""The cluster registry file: the original's shape, every problem reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from periscope_core.domain.clusters import ClusterSummary
from periscope_core.domain.errors import ConfigError
from periscope_core.services.registry import load_registry, parse_registry

GOOD = """
clusters:
  - name: prod-eu-west-1
    backend: eks
    region: eu-west-1
    arn: arn:aws:eks:eu-west-1:123456789012:cluster/prod-eu-west-1
    environment: prod
    tags: {team: platform}
  - name: staging
    backend: kubeconfig
    kubeconfigPath: /etc/periscope/kubeconfig
    kubeconfigContext: staging
    exec: {enabled: false, maxSessionsPerUser: 2}
  - name: periscope-host
    backend: in-cluster
"""


def test_the_original_shape_loads() -> None:
    registry = parse_registry(GOOD, source="clusters.yaml")
    assert registry.names == ["prod-eu-west-1", "staging", "periscope-host"]
    staging = registry.get("staging")
    assert staging is not None
    assert staging.kubeconfigContext == "staging"
    assert staging.exec.maxSessionsPerUser == 2
    assert not staging.exec_enabled
    assert registry.warnings == ()


def test_backend_defaults_to_eks_like_the_original() -> None:
    with pytest.raises(ConfigError) as err:
        parse_registry("clusters: [{name: a}]", source="c.yaml")
    problems = {(p.field, p.entry) for p in err.value.problems}
    assert problems == {("region", "clusters[0] (a)"), ("arn", "clusters[0] (a)")}


def test_every_problem_is_listed_with_file_entry_and_field() -> None:
    text = """
clusters:
  - name: Bad_Name
    backend: kubeconfig
  - name: dup
    backend: in-cluster
  - name: dup
    backend: in-cluster
  - name: x
    backend: warp
  - name: y
    backend: in-cluster
    colour: blue
  - name: z
    backend: eks
    region: us-east-1
    arn: not-an-arn
"""
    with pytest.raises(ConfigError) as err:
        parse_registry(text, source="/etc/periscope/clusters.yaml")
    lines = [str(p) for p in err.value.problems]
    assert any("clusters[0] (Bad_Name): name: must be a DNS-1123 label" in line for line in lines)
    assert any("clusters[0] (Bad_Name): kubeconfigPath: required" in line for line in lines)
    assert any("clusters[2] (dup): name: duplicate cluster name 'dup'" in line for line in lines)
    assert any("clusters[3] (x): backend: unknown backend 'warp'" in line for line in lines)
    assert any("clusters[4] (y): colour:" in line for line in lines)
    assert any("clusters[5] (z): arn: expected arn:aws:eks" in line for line in lines)
    assert all(line.startswith("/etc/periscope/clusters.yaml: ") for line in lines)


def test_long_names_are_rejected() -> None:
    with pytest.raises(ConfigError, match="DNS-1123"):
        parse_registry(f"clusters: [{{name: {'a' * 64}, backend: in-cluster}}]", source="c.yaml")


def test_empty_file_and_empty_list_are_an_empty_fleet() -> None:
    assert parse_registry("", source="c.yaml").clusters == ()
    assert parse_registry("clusters: []", source="c.yaml").clusters == ()


def test_non_positive_exec_override_is_ignored_with_a_warning() -> None:
    registry = parse_registry(
        "clusters: [{name: a, backend: in-cluster, exec: {serverIdleSeconds: 0, heartbeatSeconds: 5}}]",
        source="c.yaml",
    )
    entry = registry.clusters[0]
    assert entry.exec.serverIdleSeconds is None
    assert entry.exec.heartbeatSeconds == 5
    assert registry.warnings == ("c.yaml: clusters[0] (a): exec.serverIdleSeconds: non-positive value ignored, "
                                 "the default applies",)


def test_unreadable_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.yaml: cannot read"):
        load_registry(tmp_path / "missing.yaml")


def test_bad_yaml_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("clusters: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_registry(path)


def test_summary_never_carries_file_paths() -> None:
    entry = parse_registry(GOOD, source="c.yaml").clusters[1]
    summary = ClusterSummary.of(entry)
    assert "kubeconfigPath" not in summary.__struct_fields__
    assert summary.execEnabled is False
