# Sans-IO codecs: this package does no I/O. Nothing here opens a socket, awaits, reads a clock
# or logs; each codec takes bytes and returns events (or takes events and returns bytes), so
# any transport can drive it and tests can feed it byte by byte.
"""Wire-format codecs shared by adapters and entrypoints (watch, exec channels, SSE)."""

from periscope_core.protocols.errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from periscope_core.protocols.k8s_channel import (
    SUBPROTOCOLS,
    V4,
    V5,
    ChannelCodec,
    ChannelEvent,
    CloseChannel,
    Established,
    Exited,
    Failed,
    Resize,
    Stderr,
    Stdin,
    Stdout,
    exit_status,
)
from periscope_core.protocols.lines import LineBuffer
from periscope_core.protocols.sse import ServerSentEvent, SSEDecoder, encode_comment, encode_event
from periscope_core.protocols.watch import (
    Bookmark,
    Expired,
    ObjectEvent,
    StreamEnd,
    UnknownEvent,
    WatchDecoder,
    WatchError,
    WatchEvent,
)

__all__ = [
    "SUBPROTOCOLS",
    "V4",
    "V5",
    "Bookmark",
    "ChannelCodec",
    "ChannelEvent",
    "CloseChannel",
    "Established",
    "Exited",
    "Expired",
    "Failed",
    "LineBuffer",
    "LocalProtocolError",
    "ObjectEvent",
    "ProtocolError",
    "RemoteProtocolError",
    "Resize",
    "SSEDecoder",
    "ServerSentEvent",
    "Stderr",
    "Stdin",
    "Stdout",
    "StreamEnd",
    "UnknownEvent",
    "WatchDecoder",
    "WatchError",
    "WatchEvent",
    "encode_comment",
    "encode_event",
    "exit_status",
]
