"""What this server has turned on, so the UI can hide what is off."""

from __future__ import annotations

import re

from litestar import Controller, get

from periscope_entrypoints.http.params import ServicesDep
from periscope_entrypoints.http.schemas import FeaturesResponse

_PRERELEASE = re.compile(r"(a|b|rc|alpha|beta|pre)\d*$|-")


def _channel(version: str, commit: str) -> str:
    """dev for a source build, prerelease for a/b/rc versions, otherwise stable."""
    if ".dev" in version or not commit:
        return "dev"
    return "prerelease" if _PRERELEASE.search(version) else "stable"


class FeaturesController(Controller):
    path = "/api/features"
    tags = ["features"]

    @get("/", operation_id="getFeatures")
    async def features(self, services: ServicesDep) -> FeaturesResponse:
        """The enabled optional features and the build.

        Args:
            services: The application services.

        Returns:
            The streamed kinds in registry order (then ``customresources`` when those stream),
            version, commit and release channel.
        """
        settings = services.settings
        return FeaturesResponse(
            watch_streams=settings.watch_streams.names(),
            version=settings.version,
            commit=settings.commit,
            channel=_channel(settings.version, settings.commit),
        )
