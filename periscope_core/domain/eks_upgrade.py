"""What the EKS upgrade views show: insights, managed node groups with AMI drift, add-ons with freshness.

Insights are decoded as AWS spells them (the view shows them whole). Node groups and
add-ons are condensed to what an upgrade decision needs, plus what Periscope works out:
how far a node group's kubelet lags the control plane, whether its AMI is older than the
one AWS recommends, and whether an add-on has a newer build for the cluster's version.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

import msgspec

__all__ = [
    "AddonView",
    "AddonsPage",
    "AmiDrift",
    "AmiSource",
    "CatalogAddon",
    "CatalogPage",
    "HealthIssue",
    "Insight",
    "InsightSummary",
    "InsightsPage",
    "NodegroupView",
    "NodegroupsPage",
    "ami_image_pattern",
    "ami_release_parameter",
    "compare_releases",
    "is_newer",
    "minor_versions_behind",
    "newest_version",
    "version_key",
]


# -- insights, as AWS returns them -----------------------------------------------------------


class InsightStatus(msgspec.Struct):
    status: str = "UNKNOWN"
    """PASSING, WARNING, ERROR or UNKNOWN."""
    reason: str = ""


class InsightSummary(msgspec.Struct, kw_only=True):
    id: str
    name: str = ""
    category: str = ""
    kubernetesVersion: str = ""
    """The version this insight is about: the one an upgrade would move to."""
    lastRefreshTime: datetime | None = None
    lastTransitionTime: datetime | None = None
    description: str = ""
    insightStatus: InsightStatus = msgspec.field(default_factory=InsightStatus)


class InsightResource(msgspec.Struct):
    insightStatus: InsightStatus = msgspec.field(default_factory=InsightStatus)
    kubernetesResourceUri: str = ""
    arn: str = ""


class DeprecationDetail(msgspec.Struct):
    usage: str = ""
    replacedWith: str = ""
    stopServingVersion: str = ""
    startServingReplacementVersion: str = ""
    clientStats: list[dict[str, Any]] = []
    """Who still calls the deprecated API (user agent, request count in the last 30 days)."""


class CategorySpecificSummary(msgspec.Struct):
    deprecationDetails: list[DeprecationDetail] = []
    addonCompatibilityDetails: list[dict[str, Any]] = []


class Insight(InsightSummary, kw_only=True):
    recommendation: str = ""
    additionalInfo: dict[str, str] = {}
    resources: list[InsightResource] = []
    categorySpecificSummary: CategorySpecificSummary = msgspec.field(default_factory=CategorySpecificSummary)


class InsightsPage(msgspec.Struct, rename="camel", kw_only=True):
    cluster: str
    kubernetes_version: str
    """The control plane's version now."""
    items: list[InsightSummary]
    counts: dict[str, int]
    """Insights per status, for the summary line."""
    fetched_at: datetime
    """When Periscope asked AWS; AWS itself refreshes insights about once a day."""


# -- node groups -----------------------------------------------------------------------------


class HealthIssue(msgspec.Struct, rename="camel"):
    code: str = ""
    message: str = ""
    resource_ids: list[str] = []


class Scaling(msgspec.Struct, rename="camel"):
    min_size: int = 0
    max_size: int = 0
    desired_size: int = 0


DriftStatus = Literal["current", "drifted", "unknown"]
AmiSource = Literal["ssm", "ec2", ""]


class AmiDrift(msgspec.Struct, kw_only=True):
    status: DriftStatus
    current: str
    """The node group's release version (AL2, AL2023) or image version (Bottlerocket)."""
    latest: str = ""
    """What AWS recommends now for this AMI type and Kubernetes version."""
    source: AmiSource = ""
    """Where ``latest`` came from: AWS's public SSM parameters, or the newest public image (the fallback)."""
    reason: str = ""
    """Why the status is unknown."""


class NodegroupView(msgspec.Struct, rename="camel", kw_only=True):
    name: str
    status: str
    version: str
    release_version: str
    ami_type: str
    capacity_type: str
    instance_types: list[str]
    scaling: Scaling
    health: list[HealthIssue]
    minor_versions_behind: int | None
    """Kubelet minor versions behind the control plane (upgrade the node group before the next control-plane hop)."""
    ami: AmiDrift
    launch_template: str = ""
    """Set when a launch template chooses the image: then drift is the template's business."""


class NodegroupsPage(msgspec.Struct, rename="camel"):
    cluster: str
    kubernetes_version: str
    items: list[NodegroupView]


# -- add-ons ---------------------------------------------------------------------------------


class AddonView(msgspec.Struct, rename="camel", kw_only=True):
    name: str
    version: str
    status: str
    health: list[HealthIssue]
    latest_version: str
    """The newest version AWS publishes for this add-on on the cluster's Kubernetes version ('' when unknown)."""
    update_available: bool | None
    """None when the catalog could not be read."""
    service_account_role_arn: str = ""
    owner: str = ""
    publisher: str = ""
    configuration_values: str = ""


class AddonsPage(msgspec.Struct, rename="camel"):
    cluster: str
    kubernetes_version: str
    items: list[AddonView]
    catalog_error: str = ""
    """Why freshness is missing, when DescribeAddonVersions failed (the add-ons are still listed)."""


class CatalogAddon(msgspec.Struct, rename="camel", kw_only=True):
    name: str
    type: str
    publisher: str
    owner: str
    versions: list[str]
    """Newest first."""
    default_version: str
    """The version EKS installs when none is named."""


class CatalogPage(msgspec.Struct, rename="camel"):
    cluster: str
    kubernetes_version: str
    items: list[CatalogAddon]
    fetched_at: datetime


# -- rules -----------------------------------------------------------------------------------


_AL2_SSM = {
    "AL2_x86_64": "amazon-linux-2",
    "AL2_x86_64_GPU": "amazon-linux-2-gpu",
    "AL2_ARM_64": "amazon-linux-2-arm64",
}
_AL2023_SSM = {
    "AL2023_x86_64_STANDARD": "x86_64/standard",
    "AL2023_ARM_64_STANDARD": "arm64/standard",
    "AL2023_x86_64_NVIDIA": "x86_64/nvidia",
    "AL2023_ARM_64_NVIDIA": "arm64/nvidia",
    "AL2023_x86_64_NEURON": "x86_64/neuron",
}
_BOTTLEROCKET = re.compile(r"^BOTTLEROCKET_(?P<arch>x86_64|ARM_64)(?P<flavour>(_NVIDIA)?(_FIPS)?)$")
_IMAGE_NAMES = {
    "AL2_x86_64": "amazon-eks-node-{v}-v*",
    "AL2_x86_64_GPU": "amazon-eks-gpu-node-{v}-v*",
    "AL2_ARM_64": "amazon-eks-arm64-node-{v}-v*",
    "AL2023_x86_64_STANDARD": "amazon-eks-node-al2023-x86_64-standard-{v}-v*",
    "AL2023_ARM_64_STANDARD": "amazon-eks-node-al2023-arm64-standard-{v}-v*",
}


def ami_release_parameter(ami_type: str, kubernetes_version: str) -> str | None:
    """AWS's public SSM parameter holding the recommended release for an AMI type (None: there is none)."""
    eks = f"/aws/service/eks/optimized-ami/{kubernetes_version}"
    if ami_type in _AL2_SSM:
        return f"{eks}/{_AL2_SSM[ami_type]}/recommended/release_version"
    if ami_type in _AL2023_SSM:
        return f"{eks}/amazon-linux-2023/{_AL2023_SSM[ami_type]}/recommended/release_version"
    match = _BOTTLEROCKET.match(ami_type)
    if match:
        arch = "x86_64" if match["arch"] == "x86_64" else "arm64"
        flavour = match["flavour"].lower().replace("_", "-")
        return f"/aws/service/bottlerocket/aws-k8s-{kubernetes_version}{flavour}/{arch}/latest/image_version"
    return None


def ami_image_pattern(ami_type: str, kubernetes_version: str) -> str | None:
    """The public image name pattern for the EC2 fallback (Amazon Linux types only)."""
    pattern = _IMAGE_NAMES.get(ami_type)
    return None if pattern is None else pattern.format(v=kubernetes_version)


_BUILD_DATE = re.compile(r"(?<!\d)(20\d{6})(?!\d)")
_LEADING_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)")


def _release_key(release: str) -> tuple[int, ...] | None:
    """Amazon Linux releases order by their build date (``1.29.0-20240202``, ``...-v20240202``);
    Bottlerocket's by their leading version (``1.19.2-29cc92cc``)."""
    dates = _BUILD_DATE.findall(release)
    if dates:
        return (int(dates[-1]),)
    match = _LEADING_VERSION.match(release)
    return None if match is None else tuple(int(p) for p in match[1].split("."))


def compare_releases(current: str, latest: str) -> DriftStatus:
    """``drifted`` when ``latest`` is a newer build than ``current``; ``unknown`` when they do not compare."""
    now, newest = _release_key(current), _release_key(latest)
    if now is None or newest is None or len(now) != len(newest):
        return "unknown"
    return "drifted" if newest > now else "current"


def _minor(version: str) -> tuple[int, int] | None:
    match = re.match(r"^v?(\d+)\.(\d+)", version)
    return None if match is None else (int(match[1]), int(match[2]))


def minor_versions_behind(node_version: str, control_plane_version: str) -> int | None:
    node, plane = _minor(node_version), _minor(control_plane_version)
    if node is None or plane is None or node[0] != plane[0]:
        return None
    return plane[1] - node[1]


def version_key(version: str) -> tuple[int, ...]:
    """Add-on versions (``v1.18.3-eksbuild.2``) order by their numbers."""
    return tuple(int(p) for p in re.findall(r"\d+", version))


def newest_version(versions: list[str]) -> str:
    """The highest of add-on versions such as ``v1.18.3-eksbuild.2`` ('' for none)."""
    return max(versions, key=version_key, default="")


def is_newer(candidate: str, installed: str) -> bool:
    return version_key(candidate) > version_key(installed)
