"""The rules behind the EKS upgrade views: which AWS parameter names the recommended AMI,
when a node group has drifted, how far its kubelet lags, which add-on build is newest."""

from __future__ import annotations

import pytest

from periscope_core.domain.eks_upgrade import (
    ami_image_pattern,
    ami_release_parameter,
    compare_releases,
    minor_versions_behind,
    newest_version,
)


@pytest.mark.parametrize(
    ("ami_type", "parameter"),
    [
        ("AL2_x86_64", "/aws/service/eks/optimized-ami/1.30/amazon-linux-2/recommended/release_version"),
        ("AL2_ARM_64", "/aws/service/eks/optimized-ami/1.30/amazon-linux-2-arm64/recommended/release_version"),
        ("AL2023_ARM_64_STANDARD",
         "/aws/service/eks/optimized-ami/1.30/amazon-linux-2023/arm64/standard/recommended/release_version"),
        ("BOTTLEROCKET_x86_64", "/aws/service/bottlerocket/aws-k8s-1.30/x86_64/latest/image_version"),
        ("BOTTLEROCKET_ARM_64_NVIDIA", "/aws/service/bottlerocket/aws-k8s-1.30-nvidia/arm64/latest/image_version"),
        ("BOTTLEROCKET_x86_64_FIPS", "/aws/service/bottlerocket/aws-k8s-1.30-fips/x86_64/latest/image_version"),
        ("WINDOWS_CORE_2022_x86_64", None),
        ("CUSTOM", None),
    ],
)  # fmt: skip
def test_the_recommended_release_parameter(ami_type: str, parameter: str | None) -> None:
    assert ami_release_parameter(ami_type, "1.30") == parameter


def test_the_image_fallback_covers_amazon_linux_only() -> None:
    assert ami_image_pattern("AL2023_x86_64_STANDARD", "1.31") == "amazon-eks-node-al2023-x86_64-standard-1.31-v*"
    assert ami_image_pattern("BOTTLEROCKET_x86_64", "1.31") is None


@pytest.mark.parametrize(
    ("current", "latest", "status"),
    [
        ("1.30.4-20240917", "1.30.4-20241024", "drifted"),
        ("1.30.4-20241024", "1.30.4-20241024", "current"),
        ("1.30.4-20241024", "1.30.2-20240917", "current"),  # ahead of the recommendation is not drift
        ("1.30.4-20240917", "amazon-eks-node-1.30-v20241109", "drifted"),  # image names carry the build date
        ("1.30.4-20241109", "amazon-eks-node-1.30-v20241109", "current"),
        ("1.20.1-7c3e9198", "1.20.3-5d9ac849", "drifted"),  # Bottlerocket: by version, not by hash
        ("1.20.3-7c3e9198", "1.20.3-5d9ac849", "current"),
        ("1.20.3-7c3e9198", "1.30.4-20241024", "unknown"),  # one has a date, the other not
        ("", "1.30.4-20241024", "unknown"),
    ],
)
def test_drift_compares_builds(current: str, latest: str, status: str) -> None:
    assert compare_releases(current, latest) == status


def test_kubelet_skew_in_minor_versions() -> None:
    assert minor_versions_behind("1.28", "1.30") == 2
    assert minor_versions_behind("1.30", "1.30") == 0
    assert minor_versions_behind("", "1.30") is None


def test_the_newest_add_on_build_orders_by_numbers_not_text() -> None:
    assert newest_version(["v1.9.0-eksbuild.1", "v1.10.0-eksbuild.1", "v1.10.0-eksbuild.12", "v1.10.0-eksbuild.2"]) \
        == "v1.10.0-eksbuild.12"  # fmt: skip
    assert newest_version([]) == ""
