"""What every resource provisioner shares: the deploy context and the provisioner contract.

A provisioner creates one CloudFormation resource type through the emulator's
public service API and deletes it again. It declares every property it accepts:
``honored`` ones are sent to the service, ``no_local_effect`` ones are accepted
(and sent where the API takes them) but change nothing on this machine, each
with the reason. A property in neither set is an error naming it and its line.
"""

from __future__ import annotations

import abc
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from localenv.errors import LocalenvError

if TYPE_CHECKING:
    from localenv.resources.code import FunctionCode


class DeployError(LocalenvError):
    """A resource could not be created or deleted; names the resource, its type and line."""


@dataclass
class Deployed:
    """A created resource: what Ref gives, what Fn::GetAtt gives, what only the harness keeps."""

    physical_id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    local: dict[str, Any] = field(default_factory=dict)


@dataclass
class DeployContext:
    endpoint_url: str
    region: str
    account_id: str
    stack_name: str
    template_dir: Path
    session: Any  # boto3.Session; Any because client() is overloaded per service name
    progress: Callable[[str], None] = lambda _message: None
    # Where the stack's local state lives (deployment snapshots); None: not kept.
    state_dir: Path | None = None
    # The account's Lambda concurrency limit (1000 by default on AWS, 10 on a new account).
    account_concurrency: int = 1000
    _clients: dict[str, Any] = field(default_factory=dict)
    # Function code this deploy read, by path (localenv/resources/code.py); emptied when
    # a deploy or a reload begins, so each reads the files as they are then.
    code_reads: dict[Path, FunctionCode] = field(default_factory=dict)
    # Function code already in the emulator's S3: sha256 -> {"S3Bucket", "S3Key"}.
    uploaded_code: dict[str, dict[str, str]] = field(default_factory=dict)
    # Given: each client is handed to it, which may route its calls (the stack process
    # sends its own calls to its edge without a socket: localenv/edge/in_process.py).
    attach: Callable[[Any], Any] | None = None

    def client(self, service: str) -> Any:
        if service not in self._clients:
            client = self.session.client(
                service, endpoint_url=self.endpoint_url, region_name=self.region
            )
            self._clients[service] = self.attach(client) if self.attach else client
        return self._clients[service]

    def arn(self, service: str, resource: str, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:aws:{service}:{self.region if region else ''}:"
            f"{self.account_id if account else ''}:{resource}"
        )

    def generated_name(self, logical_id: str, limit: int = 64) -> str:
        """A physical name as CloudFormation makes one: stack-logical-SUFFIX."""
        suffix = hashlib.sha256(f"{self.stack_name}/{logical_id}".encode()).hexdigest()[:12].upper()
        return f"{self.stack_name}-{logical_id}"[: limit - 13] + "-" + suffix


class Provisioner(abc.ABC):
    type_name: ClassVar[str]
    honored: ClassVar[frozenset[str]]
    no_local_effect: ClassVar[Mapping[str, str]] = {}
    required: ClassVar[frozenset[str]] = frozenset()

    @abc.abstractmethod
    def create(self, ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> Deployed:
        """Create the resource from its resolved properties."""

    @abc.abstractmethod
    def delete(self, ctx: DeployContext, deployed: Deployed) -> None:
        """Delete the resource (used for replacement, removal and teardown)."""

    def check(self, where: str, props: Mapping[str, Any]) -> None:  # noqa: B027 - optional hook
        """Refuse, before anything is created, properties the local stack cannot honour.
        ``where`` names the logical id, type and template line."""

    def fingerprint(self, ctx: DeployContext, props: dict[str, Any]) -> str:
        """What the properties point at, when it can change under the same properties."""
        return ""

    def update(self, ctx: DeployContext, deployed: Deployed, props: dict[str, Any]) -> None:  # noqa: B027 - optional hook: only fingerprinted types override it
        """Bring the resource in line with a new fingerprint, in place."""


def boolean(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() == "true"


def integer(value: Any) -> int:
    return int(value)


def policy_json(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


def tags_list(tags: Any) -> list[dict[str, str]]:
    return [{"Key": str(t["Key"]), "Value": str(t["Value"])} for t in tags or []]


def pick(props: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """API arguments from the properties present: {Property: ApiParameter}."""
    return {api: props[prop] for prop, api in mapping.items() if prop in props}
