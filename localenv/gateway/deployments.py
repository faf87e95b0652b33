"""Deployment snapshots: a stage serves the API as it was when its deployment was created.

API Gateway serves a stage from the deployment it points at; changing a method,
an integration or an authorizer changes nothing served until a new deployment
("Deploy API") is created.
https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-deployments.html

``capture(api_id, deployment_id)`` records the API's definition (resources and
methods with their integrations, authorizers, binary media types, gateway
responses, the resource policy) when a deployment is created, in the stack's state directory, so a
restart serves the same deployment. The deployer captures the deployments it
creates; deployments created by anyone else are found by ``DeploymentWatcher``
(``GetDeployments`` and ``GetStage`` once a second at most). With moto in the
stack's process every call reaches it through the stack's edge, which tells the
watcher (``ApiWrites``) when a call that may change a deployment or a stage was
answered (API Gateway's, CloudFormation's, an unsigned one); the watcher reads the
emulator then, and every 10 s whatever it saw. An emulator someone else runs may
be changed by calls that bypass the edge: that one is read every second.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localenv.edge.calls import AwsCall
    from localenv.edge.errors import EdgeResponse

Definition = dict[str, Any]
WATCH_INTERVAL_SECONDS = 1.0


def definition(apigateway: Any, api_id: str) -> Definition:
    """The API's current definition, as plain JSON values."""
    api = apigateway.get_rest_api(restApiId=api_id)
    resources = apigateway.get_resources(restApiId=api_id, embed=["methods"], limit=500)["items"]
    methods = methods_of(apigateway, api_id, resources)
    return {
        "name": api["name"],
        "binaryMediaTypes": sorted(api.get("binaryMediaTypes") or []),
        # A changed resource policy takes effect with the next deployment:
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-create-attach.html
        "policy": api.get("policy") or None,
        "resources": {r["path"]: r["id"] for r in resources},
        "methods": methods,
        "authorizers": {
            a["id"]: plain(a) for a in apigateway.get_authorizers(restApiId=api_id)["items"]
        },
        "gatewayResponses": {
            g["responseType"]: plain(g)
            for g in apigateway.get_gateway_responses(restApiId=api_id).get("items", [])
        },
    }


def methods_of(apigateway: Any, api_id: str, resources: list[Any]) -> dict[str, Any]:
    """Each listed method's definition. The API may change while it is read (a user's
    DeleteMethod between the listing and the read): a method gone by then is not part
    of the definition any more, so it is left out rather than failing the read."""
    found = {}
    for resource in resources:
        for verb in resource.get("resourceMethods", {}):
            try:
                method = apigateway.get_method(
                    restApiId=api_id, resourceId=resource["id"], httpMethod=verb
                )
            except apigateway.exceptions.NotFoundException:
                continue
            found[f"{resource['path']} {verb}"] = plain(method)
    return found


def plain(value: dict[str, Any]) -> dict[str, Any]:
    kept = {k: v for k, v in value.items() if k != "ResponseMetadata"}
    return dict(json.loads(json.dumps(kept, default=str)))


def changes(current: Definition, served: Definition) -> int:
    """How many things (a method, an authorizer, a response, the media types) differ."""
    count = int(current["binaryMediaTypes"] != served["binaryMediaTypes"])
    for part in ("methods", "authorizers", "gatewayResponses"):
        now, then = current[part], served[part]
        count += sum(now.get(key) != then.get(key) for key in set(now) | set(then))
    return count


class SnapshotStore:
    """Snapshots as JSON files: ``<directory>/<api id>/<deployment id>.json``."""

    def __init__(self, directory: Path):
        self.directory = directory

    @classmethod
    def of_stack(cls, state_dir: Path) -> SnapshotStore:
        return cls(state_dir / "deployments")

    def path(self, api_id: str, deployment_id: str) -> Path:
        return self.directory / api_id / f"{deployment_id}.json"

    def get(self, api_id: str, deployment_id: str) -> Definition | None:
        try:
            return dict(json.loads(self.path(api_id, deployment_id).read_text()))
        except (OSError, ValueError):
            return None

    def put(self, api_id: str, deployment_id: str, snapshot: Definition) -> None:
        path = self.path(api_id, deployment_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(snapshot, sort_keys=True))

    def captured(self, api_id: str) -> set[str]:
        return {p.stem for p in (self.directory / api_id).glob("*.json")}


def capture(apigateway: Any, store: SnapshotStore, api_id: str, deployment_id: str) -> Definition:
    """The deployment's snapshot; taken now from the API's definition if not taken yet."""
    snapshot = store.get(api_id, deployment_id)
    if snapshot is None:
        snapshot = definition(apigateway, api_id)
        store.put(api_id, deployment_id, snapshot)
    return snapshot


@dataclass(frozen=True)
class Drift:
    stage: str
    deployment_id: str
    changes: int

    def line(self) -> str:
        return (
            f"stage {self.stage} serves deployment {self.deployment_id}; the API has "
            f"{self.changes} change(s) not deployed (create a deployment to serve them)"
        )


def drift(apigateway: Any, store: SnapshotStore, api_id: str, stage: str) -> Drift | None:
    deployment_id = apigateway.get_stage(restApiId=api_id, stageName=stage)["deploymentId"]
    served = capture(apigateway, store, api_id, deployment_id)
    count = changes(definition(apigateway, api_id), served)
    return Drift(stage, deployment_id, count) if count else None


# Calls that may change an API's deployments or stages: API Gateway's own, and
# CloudFormation's (moto creates an AWS::ApiGateway::Deployment inside CreateStack or
# UpdateStack); an unsigned call other than a read may be moto's own API (a reset).
READS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITERS = frozenset({"apigateway", "cloudformation"})
# Whatever the edge saw, the watcher reads every 10 s: a change no call announced
# (moto changing its own state) is served within that.
LOOKS_WITHOUT_A_WRITE = 10


class ApiWrites:
    """An edge observer: whether a call that may change a deployment or a stage was
    answered since the watcher last asked (at the start, it asks once whatever
    happened before)."""

    def __init__(self) -> None:
        self.seen = threading.Event()
        self.seen.set()

    def __call__(self, call: AwsCall, _response: EdgeResponse | None) -> None:
        if call.raw.method in READS:
            return
        signer = call.signer
        if signer is None or signer.service.lower() in WRITERS:
            self.seen.set()

    def again(self) -> None:
        """Ask for another look (the last one failed)."""
        self.seen.set()

    def take(self) -> bool:
        """Whether one was answered. Cleared before the caller reads the emulator, so a
        change made while it reads is seen on its next look."""
        if not self.seen.is_set():
            return False
        self.seen.clear()
        return True


class DeploymentWatcher:
    """Captures deployments created outside the deployer; calls ``on_change`` when the
    stage points at another deployment."""

    def __init__(
        self,
        apigateway: Any,
        store: SnapshotStore,
        api_id: str,
        stage: str,
        on_change: Callable[[], None],
        writes: ApiWrites | None = None,  # None: every call may bypass the edge, read always
    ):
        self.apigateway = apigateway
        self.writes = writes
        self.store = store
        self.api_id = api_id
        self.stage = stage
        self.on_change = on_change
        self.served = ""
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True, name="deployments")

    def start(self) -> None:
        self.served = self.stage_deployment()
        self.thread.start()

    def stage_deployment(self) -> str:
        stage = self.apigateway.get_stage(restApiId=self.api_id, stageName=self.stage)
        return str(stage["deploymentId"])

    def poll(self) -> None:
        known = self.store.captured(self.api_id)
        items = self.apigateway.get_deployments(restApiId=self.api_id, limit=500)["items"]
        for item in items:
            if item["id"] not in known:
                capture(self.apigateway, self.store, self.api_id, item["id"])
        current = self.stage_deployment()
        if current != self.served:
            self.served = current
            self.on_change()

    def due(self, looks: int) -> bool:
        """Whether to read the emulator now, ``looks`` intervals after the last read."""
        if self.writes is None:
            return True
        wrote = self.writes.take()  # taken before the read, whichever way it goes
        return wrote or looks >= LOOKS_WITHOUT_A_WRITE

    def run(self) -> None:
        looks = 0
        while not self.stopping.wait(WATCH_INTERVAL_SECONDS):
            looks += 1
            if not self.due(looks):
                continue
            looks = 0
            try:
                self.poll()
            except Exception as exc:  # keep watching; say what failed, look again
                print(f"localenv: deployment watcher: {exc}", flush=True)
                if self.writes is not None:
                    self.writes.again()

    def stop(self) -> None:
        self.stopping.set()
