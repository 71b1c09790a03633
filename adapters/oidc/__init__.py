"""OpenID Connect over HTTP with joserfc: discovery, JWKS with rotation, code flow, refresh, logout."""

from periscope_adapters.oidc._jwks import JwksCache
from periscope_adapters.oidc.provider import ASYMMETRIC_ALGORITHMS, HttpOidcProvider

__all__ = ["ASYMMETRIC_ALGORITHMS", "HttpOidcProvider", "JwksCache"]
