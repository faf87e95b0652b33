"""Who calls: each function's role session, its credentials and its policies.

Lambda gives a function's execution environment its role's credentials by
calling ``sts:AssumeRole`` with the function's name as the session name, so the
function acts as ``arn:aws:sts::<account>:assumed-role/<role>/<function>``:
https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
The harness does the same through the emulator and keeps which access key
belongs to which function. The policies are read back through IAM's API:
inline, attached managed (AWS managed ones included) and the permissions boundary.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from localenv.iam.policy import Policy, parse


@dataclass(frozen=True)
class FunctionIdentity:
    function: str
    role_name: str
    role_arn: str
    role_id: str
    account: str
    log_group: str
    policies: tuple[Policy, ...]
    boundary: tuple[Policy, ...] | None

    @property
    def principal(self) -> str:
        return f"arn:aws:sts::{self.account}:assumed-role/{self.role_name}/{self.function}"


def role_name(role_arn: str) -> str:
    return role_arn.rsplit("/", 1)[-1]


def managed_policy(iam: Any, arn: str) -> Policy:
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
    return parse(arn, document["Document"])


def identity_policies(iam: Any, name: str) -> tuple[Policy, ...]:
    inline = [
        parse(f"{name}/{p}", iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"])
        for p in iam.list_role_policies(RoleName=name)["PolicyNames"]
    ]
    attached = [
        managed_policy(iam, a["PolicyArn"])
        for a in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    ]
    return (*inline, *attached)


def read_identity(iam: Any, function: str, role_arn: str, log_group: str) -> FunctionIdentity:
    name = role_name(role_arn)
    role = iam.get_role(RoleName=name)["Role"]
    boundary_arn = role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
    return FunctionIdentity(
        function=function,
        role_name=name,
        role_arn=role["Arn"],
        role_id=role["RoleId"],
        account=role["Arn"].split(":")[4],
        log_group=log_group,
        policies=identity_policies(iam, name),
        boundary=(managed_policy(iam, boundary_arn),) if boundary_arn else None,
    )


@dataclass(frozen=True)
class SessionCredentials:
    access_key: str
    secret_key: str
    token: str

    def environment(self) -> tuple[tuple[str, str], ...]:
        """The variables Lambda sets for the execution role's session."""
        return (
            ("AWS_ACCESS_KEY_ID", self.access_key),
            ("AWS_SECRET_ACCESS_KEY", self.secret_key),
            ("AWS_SESSION_TOKEN", self.token),
        )


def assume(sts: Any, role_arn: str, function: str) -> SessionCredentials:
    found = sts.assume_role(RoleArn=role_arn, RoleSessionName=function)["Credentials"]
    return SessionCredentials(found["AccessKeyId"], found["SecretAccessKey"], found["SessionToken"])


class IdentityRegistry:
    """Access key -> function identity; keys not here are the stack's own (administrator)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_key: dict[str, FunctionIdentity] = {}
        self.sessions: dict[tuple[str, str], SessionCredentials] = {}

    def lookup(self, access_key: str) -> FunctionIdentity | None:
        with self.lock:
            return self.by_key.get(access_key)

    def by_log_group(self, group: str) -> FunctionIdentity | None:
        with self.lock:
            return next((i for i in self.by_key.values() if i.log_group == group), None)

    def identities(self) -> list[FunctionIdentity]:
        with self.lock:
            return list(self.by_key.values())

    def register(self, sts: Any, identity: FunctionIdentity) -> SessionCredentials:
        """The function's session (one per function and role, kept across reloads)."""
        key = (identity.function, identity.role_arn)
        with self.lock:
            session = self.sessions.get(key)
        if session is None:
            session = assume(sts, identity.role_arn, identity.function)
        with self.lock:
            self.sessions[key] = session
            self.by_key[session.access_key] = identity
        return session
