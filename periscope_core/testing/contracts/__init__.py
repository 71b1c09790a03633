"""One pytest suite class per port; subclass it and provide its fixtures to test an adapter."""

from periscope_core.testing.contracts._support import LogWriter, PodRef
from periscope_core.testing.contracts.secrets import SecretResolverContract, StoredSecret
from periscope_core.testing.contracts.transport import ClusterTransportContract

__all__ = ["ClusterTransportContract", "LogWriter", "PodRef", "SecretResolverContract", "StoredSecret"]
