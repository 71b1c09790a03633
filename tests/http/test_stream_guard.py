"""A live stream ends with auth_expired once its caller is no longer signed in."""

from __future__ import annotations

from collections.abc import AsyncIterator

from periscope_entrypoints.http.stream_guard import while_signed_in


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _frames(clock: Clock, count: int) -> AsyncIterator[bytes]:
    for i in range(count):
        clock.now += 10.0  # a frame (or a ping) every ten seconds
        yield f"frame {i}\n".encode()


async def _run(*, answers: list[bool], count: int = 12) -> tuple[list[bytes], list[str], int]:
    clock, closed, asked = Clock(), [], []

    async def signed_in() -> bool:
        asked.append(clock.now)
        return answers.pop(0) if answers else True

    out = [
        frame async for frame in while_signed_in(
            _frames(clock, count), signed_in=signed_in, expired_frame=b"event: auth_expired\n",
            on_expired=lambda: closed.append("closed"), interval=60.0, clock=clock,
        )
    ]
    return out, closed, len(asked)


async def test_a_signed_in_caller_gets_every_frame_and_is_asked_once_a_minute() -> None:
    out, closed, asked = await _run(answers=[])
    assert out == [f"frame {i}\n".encode() for i in range(12)]
    assert (closed, asked) == ([], 2)


async def test_signing_out_ends_the_stream_with_auth_expired() -> None:
    out, closed, asked = await _run(answers=[True, False])
    assert out[-1] == b"event: auth_expired\n"
    assert len(out) == 13  # frames 0-11, then the second check (at 120 s) ends it
    assert out[:-1] == [f"frame {i}\n".encode() for i in range(len(out) - 1)]
    assert closed == ["closed"]
    assert asked == 2
