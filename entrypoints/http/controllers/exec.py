"""Pod exec: the browser's shell WebSocket, its pre-flight, and the admin's view of sessions.

The exec path is declared under ``{plural}`` rather than a literal ``pods`` segment:
Litestar does not backtrack, and a literal branch would hide the pod detail routes.
Refusals that need no session answer before the upgrade: a foreign Origin (the
session gate, for every WebSocket), exec disabled, an unknown cluster, a malformed
query. Cap refusals come after it, in band, since browsers cannot read the body of a
refused upgrade; a client that does not upgrade at all gets them as a 429 body from
the plain GET.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
import msgspec
from litestar import Controller, Request, Response, WebSocket, delete, get, websocket
from litestar.params import QueryParameter
from litestar.status_codes import HTTP_204_NO_CONTENT, HTTP_426_UPGRADE_REQUIRED

from periscope_core.domain.errors import NotFound, PeriscopeError, Status, Unauthenticated
from periscope_core.domain.exec import ExecTarget, SessionCapReached, SessionSummary, decode_command
from periscope_core.services.exec_registry import LiveSession
from periscope_core.services.exec_relay import last_words
from periscope_core.services.exec_sessions import ExecCheck
from periscope_entrypoints.bootstrap import Services
from periscope_entrypoints.http.middleware import request_id
from periscope_entrypoints.http.params import CallerDep, PathStr, ServicesDep
from periscope_entrypoints.http.session_gate import still_signed_in
from periscope_entrypoints.http.ws_terminal import WebSocketTerminal, deny

__all__ = ["ExecController", "ExecSessionsController"]

Container = Annotated[str, QueryParameter(description="The container; the pod's default one when empty.")]
Command = Annotated[str, QueryParameter(description="Base64 of a JSON array of strings; bash, else sh, when empty.")]
Tty = Annotated[bool, QueryParameter(description="Allocate a terminal (stdout and stderr merged).")]
_NO_STORE = {"Cache-Control": "no-store"}
ASCIICAST = "application/x-asciicast"


class SessionsResponse(msgspec.Struct):
    sessions: list[SessionSummary]


def _target(
    *, cluster: str, plural: str, namespace: str, name: str, container: str, command: str, tty: bool
) -> ExecTarget:
    if plural != "pods":
        status = Status(message=f"exec is a pod subresource, not one of {plural}", reason="NotFound", code=404)
        raise NotFound(status)
    return ExecTarget(cluster=cluster, namespace=namespace, pod=name, container=container,
                      command=decode_command(command), tty=tty)  # fmt: skip


async def _end_at_sign_out(services: Services, socket: WebSocket[Any, Any, Any], session: LiveSession) -> None:
    """A shell lives as long as its user's sign-in: checked as often as live lists check theirs."""
    while True:
        await anyio.sleep(services.settings.stream_recheck_seconds)
        if not await still_signed_in(services, socket.scope):
            session.request_close("auth_expired", Unauthenticated("revoked", "your sign-in ended: sign in again"))
            return


class ExecController(Controller):
    path = "/api/clusters/{cluster:str}/{plural:str}/{namespace:str}/{name:str}/exec"
    tags = ["exec"]

    @websocket("/")
    async def exec_socket(
        self, socket: WebSocket[Any, Any, Any], services: ServicesDep, caller: CallerDep, cluster: PathStr,
        plural: PathStr, namespace: PathStr, name: PathStr, container: Container = "", command: Command = "",
        tty: Tty = True,
    ) -> None:  # fmt: skip
        """A shell in the container, relayed as the caller (see ``periscope_core.protocols.terminal``).

        The session gate has already refused a foreign Origin, before the upgrade.
        """
        sessions = services.exec_sessions
        try:
            target = _target(cluster=cluster, plural=plural, namespace=namespace, name=name, container=container,
                             command=command, tty=tty)
            session = sessions.reserve(caller.principal, target)
        except SessionCapReached as exc:
            await socket.accept()
            await last_words(WebSocketTerminal(socket), error=exc, reason=exc.code)
            return
        except PeriscopeError as exc:
            await deny(socket, exc)
            return
        with session:
            await socket.accept()
            async with anyio.create_task_group() as tg:
                tg.start_soon(_end_at_sign_out, services, socket, session)
                await sessions.run(session, WebSocketTerminal(socket), as_=caller.as_,
                                   request_id=request_id(socket.scope))  # fmt: skip
                tg.cancel_scope.cancel()

    @get("/", operation_id="execWithoutUpgrade", status_code=HTTP_426_UPGRADE_REQUIRED)
    async def exec_without_upgrade(
        self, services: ServicesDep, caller: CallerDep, cluster: PathStr, plural: PathStr, namespace: PathStr,
        name: PathStr, container: Container = "", command: Command = "", tty: Tty = True,
    ) -> Response[dict[str, str]]:  # fmt: skip
        """For clients that did not upgrade: the refusal a session would meet (403, 429), else 426.

        Args:
            services: The application services.
            caller: Who is asking.
            cluster: The cluster name.
            plural: Must be ``pods``.
            namespace: The pod's namespace.
            name: The pod.
            container: The container (default: the pod's default container).
            command: The command, base64 of a JSON array.
            tty: Whether to allocate a terminal.

        Returns:
            426 Upgrade Required when a session could start.
        """
        _target(cluster=cluster, plural=plural, namespace=namespace, name=name, container=container,
                command=command, tty=tty)
        services.exec_sessions.admit(caller.principal, cluster)
        body = {"error": "E_UPGRADE_REQUIRED", "message": "exec is a WebSocket: upgrade this request"}
        return Response(body, status_code=HTTP_426_UPGRADE_REQUIRED, headers={"Upgrade": "websocket"})

    @get("/check", operation_id="checkExec")
    async def check(
        self, services: ServicesDep, caller: CallerDep, cluster: PathStr, plural: PathStr, namespace: PathStr,
        name: PathStr, container: Container = "", command: Command = "", tty: Tty = True,
    ) -> ExecCheck:  # fmt: skip
        """Whether a session may start now, and if not, why (disabled, a cap, RBAC).

        Args:
            services: The application services.
            caller: Who is asking.
            cluster: The cluster name.
            plural: Must be ``pods``.
            namespace: The pod's namespace.
            name: The pod.
            container: The container (default: the pod's default container).
            command: The command, base64 of a JSON array.
            tty: Whether to allocate a terminal.

        Returns:
            ``allowed``, and otherwise the error code, a message and (for caps) the caller's sessions.
        """
        target = _target(cluster=cluster, plural=plural, namespace=namespace, name=name, container=container,
                         command=command, tty=tty)
        return await services.exec_sessions.check(caller.principal, target, as_=caller.as_)


class ExecSessionsController(Controller):
    path = "/api/exec"
    tags = ["exec"]

    @get("/sessions", operation_id="listExecSessions")
    async def list_sessions(self, services: ServicesDep, caller: CallerDep) -> SessionsResponse:
        """Active exec sessions: every one for an admin, the caller's own otherwise.

        Args:
            services: The application services.
            caller: Who is asking.

        Returns:
            The sessions, oldest first.
        """
        return SessionsResponse(sessions=services.exec_sessions.sessions(caller.principal))

    @delete("/sessions/{session_id:str}", operation_id="closeExecSession", status_code=HTTP_204_NO_CONTENT)
    async def close_session(
        self, request: Request[Any, Any, Any], services: ServicesDep, caller: CallerDep, session_id: PathStr
    ) -> None:
        """Force-close a session (an admin any, a user their own); audited as ``exec_forced_close``.

        Args:
            request: The request (for its id).
            services: The application services.
            caller: Who is asking.
            session_id: The session, from the list or its ``hello`` message.
        """
        services.exec_sessions.force_close(caller.principal, session_id, request_id=request_id(request.scope))

    @get("/recordings/{recording_id:str}", operation_id="getExecRecording", media_type=ASCIICAST)
    async def recording(self, services: ServicesDep, caller: CallerDep, recording_id: PathStr) -> Response[bytes]:
        """A recorded session (asciicast v2, replayable with asciinema), for its owner or an admin.

        Args:
            services: The application services.
            caller: Who is asking.
            recording_id: The session id (``recording_id`` on its ``exec_close`` audit row).

        Returns:
            The asciicast document.
        """
        document = await services.exec_sessions.recording(caller.principal, recording_id)
        return Response(document, media_type=ASCIICAST, headers=_NO_STORE)
