"""The sandbox cluster: simulated kube-apiservers speaking the real wire protocol on loopback.

``SandboxFleet.start()`` runs the demo fleet (or any ``ClusterSpec``s): each cluster is an
``ApiServer`` engine behind a ``SandboxServer`` listener (TLS or plain HTTP, bearer tokens
or client certificates), with controllers that turn workloads into running pods, and
optional live churn. ``InProcessTransport`` reaches an engine without a socket, and
``AwsIamAuthenticator`` lets a listener accept EKS tokens checked against STS.
"""

from periscope_adapters.sandbox._aws_iam import AwsIamAuthenticator
from periscope_adapters.sandbox._certs import CertificateAuthority, KeyPair
from periscope_adapters.sandbox._controllers import Controllers
from periscope_adapters.sandbox._demo import DEMO
from periscope_adapters.sandbox._engine import ApiServer
from periscope_adapters.sandbox._fleet import ADMIN_USER, BRIDGE_USER, SandboxCluster, SandboxFleet
from periscope_adapters.sandbox._inprocess import InProcessTransport
from periscope_adapters.sandbox._kubelet import SIMULATE
from periscope_adapters.sandbox._rbac import UserInfo
from periscope_adapters.sandbox._seed import ClusterSpec, Seeder
from periscope_adapters.sandbox._server import SandboxServer
from periscope_adapters.sandbox._shell import ExecutableNotFound, Shell, ShellIO
from periscope_adapters.sandbox._wire import ExecTarget, SandboxRequest, SandboxResponse

__all__ = [
    "ADMIN_USER",
    "BRIDGE_USER",
    "DEMO",
    "SIMULATE",
    "ApiServer",
    "AwsIamAuthenticator",
    "CertificateAuthority",
    "ClusterSpec",
    "Controllers",
    "ExecTarget",
    "ExecutableNotFound",
    "InProcessTransport",
    "KeyPair",
    "SandboxCluster",
    "SandboxFleet",
    "SandboxRequest",
    "SandboxResponse",
    "SandboxServer",
    "Seeder",
    "Shell",
    "ShellIO",
    "UserInfo",
]
