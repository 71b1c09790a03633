from __future__ import annotations

import pytest

from periscope_core.protocols import (
    SUBPROTOCOLS,
    V4,
    V5,
    ChannelCodec,
    CloseChannel,
    Established,
    Exited,
    Failed,
    LocalProtocolError,
    RemoteProtocolError,
    Resize,
    Stderr,
    Stdin,
    Stdout,
    exit_status,
)

# Status messages exactly as a kube-apiserver writes them on channel 3.
EXIT_3 = (
    b'\x03{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: '
    b'exit status 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}'
)
SUCCESS = b'\x03{"metadata":{},"status":"Success"}'
CONTAINER_NOT_FOUND = (
    b'\x03{"metadata":{},"status":"Failure","message":"container not found (\\"sidecar\\")",'
    b'"reason":"NotFound","code":404}'
)


def client(subprotocol: str = V5) -> ChannelCodec:
    return ChannelCodec(subprotocol, role="client")


def server(subprotocol: str = V5) -> ChannelCodec:
    return ChannelCodec(subprotocol, role="server")


def test_subprotocols_prefer_v5() -> None:
    assert SUBPROTOCOLS == ("v5.channel.k8s.io", "v4.channel.k8s.io")


@pytest.mark.parametrize("subprotocol", SUBPROTOCOLS)
def test_exit_statuses_are_byte_compatible_with_the_apiserver(subprotocol: str) -> None:
    assert server(subprotocol).send(Exited(code=3)) == EXIT_3
    assert server(subprotocol).send(Exited(code=0)) == SUCCESS


@pytest.mark.parametrize("subprotocol", SUBPROTOCOLS)
def test_client_maps_apiserver_statuses_to_exit_codes(subprotocol: str) -> None:
    codec = client(subprotocol)
    assert codec.receive_message(EXIT_3) == Exited(code=3)
    assert codec.receive_message(SUCCESS) == Exited(code=0)


def test_other_failures_keep_the_whole_status() -> None:
    assert client().receive_message(CONTAINER_NOT_FOUND) == Failed(
        message='container not found ("sidecar")',
        reason="NotFound",
        status={
            "metadata": {},
            "status": "Failure",
            "message": 'container not found ("sidecar")',
            "reason": "NotFound",
            "code": 404,
        },
    )


def test_failed_round_trips_and_keeps_extra_status_fields() -> None:
    received = client().receive_message(CONTAINER_NOT_FOUND)
    assert isinstance(received, Failed)
    assert server().send(received) == CONTAINER_NOT_FOUND
    assert server().send(Failed(message="boom")) == b'\x03{"metadata":{},"status":"Failure","message":"boom"}'


def test_non_zero_exit_without_an_exit_code_cause_is_a_failure() -> None:
    message = b'\x03{"metadata":{},"status":"Failure","message":"killed","reason":"NonZeroExitCode"}'
    event = client().receive_message(message)
    assert isinstance(event, Failed)
    assert (event.reason, event.message) == ("NonZeroExitCode", "killed")


def test_exit_status_helper() -> None:
    assert exit_status(0) == {"metadata": {}, "status": "Success"}
    assert exit_status(255)["details"] == {"causes": [{"reason": "ExitCode", "message": "255"}]}
    for code in (-1, 256):
        with pytest.raises(LocalProtocolError):
            exit_status(code)


@pytest.mark.parametrize("subprotocol", SUBPROTOCOLS)
@pytest.mark.parametrize(
    ("event", "wire"),
    [
        (Stdin(data=b"ls -l\n"), b"\x00ls -l\n"),
        (Resize(width=80, height=24), b'\x04{"Width":80,"Height":24}'),
    ],
)
def test_client_to_server(subprotocol: str, event: Stdin | Resize, wire: bytes) -> None:
    assert client(subprotocol).send(event) == wire
    assert server(subprotocol).receive_message(wire) == event


@pytest.mark.parametrize("subprotocol", SUBPROTOCOLS)
@pytest.mark.parametrize(
    ("event", "wire"),
    [
        (Stdout(data=b"total 0\r\n"), b"\x01total 0\r\n"),
        (Stderr(data=b"\xff\x00binary"), b"\x02\xff\x00binary"),
        (Stdout(data=b""), b"\x01"),
        (Established(), b"\x03"),
    ],
)
def test_server_to_client(subprotocol: str, event: Stdout | Stderr | Established, wire: bytes) -> None:
    assert server(subprotocol).send(event) == wire
    assert client(subprotocol).receive_message(wire) == event


def test_v5_close_half_closes_stdin() -> None:
    assert client(V5).send(CloseChannel(channel=0)) == b"\xff\x00"
    assert server(V5).receive_message(b"\xff\x00") == CloseChannel(channel=0)


def test_v4_has_no_close_message() -> None:
    with pytest.raises(LocalProtocolError):
        client(V4).send(CloseChannel(channel=0))
    with pytest.raises(RemoteProtocolError, match="unknown channel 255"):
        server(V4).receive_message(b"\xff\x00")


@pytest.mark.parametrize(
    ("codec", "event"),
    [
        (client(), Stdout(data=b"x")),
        (client(), Exited(code=0)),
        (client(), CloseChannel(channel=1)),
        (server(), Stdin(data=b"x")),
        (server(), Resize(width=1, height=1)),
        (server(), CloseChannel(channel=0)),
        (client(), Resize(width=70000, height=24)),
        (server(), Exited(code=300)),
    ],
)
def test_sending_what_the_role_or_protocol_forbids_is_a_local_error(
    codec: ChannelCodec, event: Stdout | Exited | CloseChannel | Stdin | Resize
) -> None:
    with pytest.raises(LocalProtocolError):
        codec.send(event)


@pytest.mark.parametrize(
    ("codec", "message"),
    [
        (client(), b""),
        (client(), b"\x00stdin from the server"),
        (client(), b"\x07"),
        (client(), b"\x03{not json"),
        (client(), b"\x03[]"),
        (client(), b'\x03{"metadata":{},"status":"Pending"}'),
        (client(), b'\x03{"status":"Failure","reason":"NonZeroExitCode","details":"x"}'),
        (
            client(),
            b'\x03{"status":"Failure","reason":"NonZeroExitCode",'
            b'"details":{"causes":[{"reason":"ExitCode","message":"three"}]}}',
        ),
        (server(), b"\x01stdout from the client"),
        (server(), b"\x03{}"),
        (server(), b"\x04{bad"),
        (server(), b'\x04{"Width":-1,"Height":24}'),
        (server(), b'\x04{"Width":80}'),
        (server(), b"\xff"),
        (server(), b"\xff\x00\x00"),
        (server(), b"\xff\x01"),
    ],
)
def test_invalid_messages_are_remote_errors(codec: ChannelCodec, message: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        codec.receive_message(message)


def test_constructor_rejects_unsupported_subprotocols() -> None:
    with pytest.raises(LocalProtocolError):
        ChannelCodec("v4.base64.channel.k8s.io", role="client")
    with pytest.raises(LocalProtocolError):
        ChannelCodec(V5, role="proxy")  # type: ignore[arg-type]
