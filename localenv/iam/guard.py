"""IAM for a running stack: function sessions, the edge's enforcer, the usage report."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from localenv.iam.enforcer import Enforcer, Mode
from localenv.iam.identities import FunctionIdentity, IdentityRegistry, read_identity
from localenv.iam.usage import UsageLog, report
from localenv.runtime.environment import FunctionConfig

LAMBDA_LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
WarningSink = Callable[[str, str], None]  # (log group, line)


class IamGuard:
    def __init__(self, mode: Mode):
        self.mode = mode
        self.registry = IdentityRegistry()
        self.usage = UsageLog()
        self.sink: WarningSink = lambda _group, _line: None
        self.streams: set[tuple[str, str]] = set()
        self.enforcer = Enforcer(mode, self.registry, self.usage, self.warn)

    def warn(self, identity: FunctionIdentity, message: str) -> None:
        self.sink(identity.log_group, f"localenv iam (warn): denied on AWS: {message}")

    def attach(self, iam: Any, sts: Any, configs: list[FunctionConfig]) -> list[FunctionConfig]:
        """Each function with its role session's credentials, its identity registered."""
        attached = []
        for config in configs:
            identity = read_identity(iam, config.name, config.role, config.log_group)
            session = self.registry.register(sts, identity)
            attached.append(dataclasses.replace(config, credentials=session.environment()))
        return attached

    def lambda_writes_logs(self, group: str, stream: str, region: str) -> None:
        """On AWS the Lambda service writes a function's logs with its execution role
        (logs:CreateLogStream, logs:PutLogEvents on the stream), so they count as
        the function's use; a missing grant shows in the report.
        https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html"""
        identity = self.registry.by_log_group(group)
        if identity is None or (group, stream) in self.streams:
            return
        self.streams.add((group, stream))
        arn = f"arn:aws:logs:{region}:{identity.account}:log-group:{group}:log-stream:{stream}"
        for action in LAMBDA_LOG_ACTIONS:
            self.enforcer.check(identity, action, (arn,), region)

    def save(self, path: Path) -> None:
        """The last report, for `localenv iam report` once the stack has stopped."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.report(), indent=2) + "\n")

    def report(self, _query: dict[str, str] | None = None) -> dict[str, Any]:
        return {
            "mode": self.mode.value,
            "functions": report(self.registry.identities(), self.usage),
        }
