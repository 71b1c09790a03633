"""Errors raised by the sans-IO codecs.

    ProtocolError                 (never raised itself)
     +-- LocalProtocolError       we asked the codec for something the protocol forbids
     +-- RemoteProtocolError      the peer sent bytes the protocol forbids

Each carries ``error_status_hint``, an HTTP status the edge may use when the error has to
surface as a response; the codecs themselves never decide how a failure is reported.
"""

from __future__ import annotations

__all__ = ["LocalProtocolError", "ProtocolError", "RemoteProtocolError"]


class ProtocolError(Exception):
    """Base of the codec errors; catch it, raise a subclass."""

    default_status_hint = 400

    def __init__(self, message: str, *, error_status_hint: int | None = None) -> None:
        # As in h11: whoever raises must say which side is at fault.
        if type(self) is ProtocolError:
            raise TypeError("raise LocalProtocolError or RemoteProtocolError, not ProtocolError")
        super().__init__(message)
        self.error_status_hint = (
            self.default_status_hint if error_status_hint is None else error_status_hint
        )


class LocalProtocolError(ProtocolError):
    """Our own code misused a codec: a bug on this side, hence 500 by default."""

    default_status_hint = 500


class RemoteProtocolError(ProtocolError):
    """The peer violated the protocol."""
