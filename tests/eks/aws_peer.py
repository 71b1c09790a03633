"""An AWS account on loopback for the EKS views: moto's server, fronted for what moto lacks.

moto serves DescribeCluster, the node groups and EC2's images (seeded, through
MOTO_AMIS_PATH, as Amazon-owned public images). It has no upgrade insights, no
add-ons and none of AWS's public SSM parameters, so a small aiohttp front answers
those over the same wire protocols (EKS REST-JSON, SSM JSON 1.1) from tables the
tests fill, and passes every other EKS request through to moto unchanged. A test can
deny an action, as an IAM policy would, and count what was asked.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, web

ACCOUNT = "123456789012"
KEY_ID, KEY_SECRET = "AKIAPERISCOPEEKSVIEWS", "eks-views-secret"


@dataclass
class AwsTables:
    """What AWS would hold for the account, per EKS cluster name."""

    insights: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    addons: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    addon_versions: list[dict[str, Any]] = field(default_factory=list)
    parameters: dict[str, str] = field(default_factory=dict)
    denied: set[str] = field(default_factory=set)
    """Actions (``eks:ListInsights``) answered with AccessDeniedException."""
    asked: Counter[str] = field(default_factory=Counter)
    page_size: int = 2
    """ListInsights answers in pages this long, so clients must follow nextToken."""


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


def _eks_error(code: str, message: str, status: int) -> web.Response:
    return web.json_response({"message": message}, status=status, headers={"x-amzn-ErrorType": code})


class AwsFront:
    def __init__(self, tables: AwsTables, moto_url: str) -> None:
        self.tables = tables
        self._moto = moto_url

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/clusters/{name}/insights", self._list_insights)
        app.router.add_get("/clusters/{name}/insights/{id}", self._describe_insight)
        app.router.add_get("/clusters/{name}/addons", self._list_addons)
        app.router.add_get("/clusters/{name}/addons/{addon}", self._describe_addon)
        app.router.add_get("/addons/supported-versions", self._addon_versions)
        app.router.add_post("/", self._ssm)
        app.router.add_route("*", "/{tail:.*}", self._to_moto)
        return app

    def _ask(self, action: str) -> web.Response | None:
        self.tables.asked[action] += 1
        if action in self.tables.denied:
            return _eks_error("AccessDeniedException", f"User is not authorized to perform: {action}", 403)
        return None

    async def _list_insights(self, request: web.Request) -> web.Response:
        if denied := self._ask("eks:ListInsights"):
            return denied
        body = await request.json() if request.can_read_body else {}
        items = self.tables.insights.get(request.match_info["name"], [])
        start = int(body.get("nextToken") or 0)
        page = items[start:start + self.tables.page_size]
        summary_keys = ("id", "name", "category", "kubernetesVersion", "lastRefreshTime", "lastTransitionTime",
                        "description", "insightStatus")  # fmt: skip
        answer: dict[str, Any] = {"insights": [{k: i[k] for k in summary_keys if k in i} for i in page]}
        if start + self.tables.page_size < len(items):
            answer["nextToken"] = str(start + self.tables.page_size)
        return _json(answer)

    async def _describe_insight(self, request: web.Request) -> web.Response:
        if denied := self._ask("eks:DescribeInsight"):
            return denied
        for insight in self.tables.insights.get(request.match_info["name"], []):
            if insight["id"] == request.match_info["id"]:
                return _json({"insight": insight})
        return _eks_error("ResourceNotFoundException", "No insight found", 404)

    async def _list_addons(self, request: web.Request) -> web.Response:
        if denied := self._ask("eks:ListAddons"):
            return denied
        return _json({"addons": [a["addonName"] for a in self.tables.addons.get(request.match_info["name"], [])]})

    async def _describe_addon(self, request: web.Request) -> web.Response:
        if denied := self._ask("eks:DescribeAddon"):
            return denied
        for addon in self.tables.addons.get(request.match_info["name"], []):
            if addon["addonName"] == request.match_info["addon"]:
                return _json({"addon": addon})
        return _eks_error("ResourceNotFoundException", "No addon", 404)

    async def _addon_versions(self, request: web.Request) -> web.Response:
        if denied := self._ask("eks:DescribeAddonVersions"):
            return denied
        version = request.query.get("kubernetesVersion", "")
        addons = []
        for info in self.tables.addon_versions:
            versions = [v for v in info["addonVersions"]
                        if any(c["clusterVersion"] == version for c in v["compatibilities"])]  # fmt: skip
            if versions:
                addons.append({**info, "addonVersions": versions})
        return _json({"addons": addons})

    async def _ssm(self, request: web.Request) -> web.Response:
        target = request.headers.get("X-Amz-Target", "")
        if target != "AmazonSSM.GetParameter":
            return _json({"__type": "InvalidAction", "message": target}, 400)
        if denied := self._ask("ssm:GetParameter"):
            return denied
        name = json.loads(await request.read())["Name"]
        if name not in self.tables.parameters:
            return _json({"__type": "ParameterNotFound", "message": name}, 400)
        return _json({"Parameter": {"Name": name, "Type": "String", "Value": self.tables.parameters[name],
                                    "Version": 1}})  # fmt: skip

    async def _to_moto(self, request: web.Request) -> web.Response:
        if denied := self._ask(_moto_action(request.method, request.path)):
            return denied
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with ClientSession() as session, session.request(
            request.method, self._moto + request.path_qs, headers=headers, data=await request.read()
        ) as answer:
            kept = {k: v for k, v in answer.headers.items() if k.lower() in ("content-type", "x-amzn-errortype")}
            return web.Response(body=await answer.read(), status=answer.status, headers=kept)


def _moto_action(method: str, path: str) -> str:
    parts = path.strip("/").split("/")
    if method == "GET" and parts[0] == "clusters":
        return {2: "eks:DescribeCluster", 3: "eks:ListNodegroups", 4: "eks:DescribeNodegroup"}.get(len(parts),
                                                                                                   f"eks:{path}")
    return f"eks:{method} {path}"


def seed_amazon_images(region: str, names: dict[str, str]) -> None:
    """Public images owned by Amazon in moto's EC2 (name: creation date), as EKS publishes its AMIs."""
    from datetime import datetime

    from moto.ec2.models import ec2_backends
    from moto.ec2.models.amis import Ami

    backend = ec2_backends[ACCOUNT][region]
    for index, (name, created) in enumerate(names.items(), start=1):
        ami_id = f"ami-{index:017x}"
        backend.amis[ami_id] = Ami(backend, ami_id, name=name, owner_id="602401143452", owner_alias="amazon",
                                   public=True, architecture="x86_64", virtualization_type="hvm",
                                   creation_date=datetime.fromisoformat(created), region_name=region)  # fmt: skip
