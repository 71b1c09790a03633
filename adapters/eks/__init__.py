"""The ``eks`` backend: clusters reached with the pod's AWS identity (Pod Identity, IRSA) and STS tokens."""

from periscope_adapters.eks.aws_api import BotocoreAwsApi
from periscope_adapters.eks.backend import EksBackend
from periscope_adapters.eks.tokens import StsTokenSource

__all__ = ["BotocoreAwsApi", "EksBackend", "StsTokenSource"]
