"""The peer: MiniStack 1.5.33 running this template without Docker, for benchmarks/peer.py.

What a developer does to run the template there: start MiniStack, package (the
built zip to its S3, every function's ``Code`` pointed at it: ``localenv
cfn-deploy``'s own packaging), CreateStack through its CloudFormation, point the
authorizer at MiniStack's JWKS, create the demo user. The outputs come back in
the shape ``localenv up`` writes, so both stacks are driven by the same code.

MiniStack runs Python functions as subprocesses of its own interpreter (its
``LAMBDA_EXECUTOR=local`` default), so its environment holds what Lambda's
python3.12 runtime provides (boto3) and it is built on CPython 3.12 when one is
installed. It pins botocore 1.43.106, below this project's floor: it gets a
virtual environment of its own, installed once and reused.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from botocore.exceptions import BotoCoreError, ClientError

from localenv import cfn_deploy, cognito_users, emulator
from localenv.errors import LocalenvError
from localenv.pytest_plugin import free_port
from localenv.runtime.interpreters import interpreter_for

VERSION = "1.5.33"
# cryptography: MiniStack signs Cognito tokens with a real RS256 key only when it
# imports (otherwise a fixed public key with no private half). boto3: what Lambda's
# runtime provides to the functions. Both pinned to what pip resolved against
# MiniStack's botocore==1.43.106.
PACKAGES = (f"ministack=={VERSION}", "cryptography==50.0.2", "boto3==1.43.106")
STACK = "dataproc"
REGION = "us-east-1"
POLL_S = 0.02
READY_TIMEOUT_S = 60.0


class PeerError(LocalenvError):
    """The peer could not be installed, started or deployed: the reason is reported."""


def venv_python(venv: Path) -> Path:
    """MiniStack's interpreter, installed into ``venv`` once (a marker names the pins)."""
    python, marker = venv / "bin" / "python", venv / "installed.txt"
    if python.exists() and marker.exists() and marker.read_text() == "\n".join(PACKAGES):
        return python
    base = interpreter_for("python3.12").executable
    if importlib.util.find_spec("uv") is not None:
        uv = [sys.executable, "-m", "uv"]
        run([*uv, "venv", "--quiet", "--allow-existing", "--python", base, str(venv)])
        install = [*uv, "pip", "install", "--quiet", "--compile-bytecode"]
        run([*install, "--python", str(python), *PACKAGES])
    else:
        run([base, "-m", "venv", str(venv)])
        run([str(python), "-m", "pip", "install", "--quiet", *PACKAGES])
    marker.write_text("\n".join(PACKAGES))
    return python


def run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode:
        raise PeerError(f"{' '.join(command[:4])} ...: {result.stderr.strip()[-500:]}")


@dataclass
class Refusal:
    """A resource the peer's CloudFormation refused, left out of what it deploys."""

    resource: str
    reason: str


@dataclass
class PeerStack:
    """One MiniStack process and the stack deployed into it. ``start()`` does the work."""

    python: Path
    root: Path
    work: Path
    dropped: list[Refusal] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    endpoint: str = ""

    def start(self) -> dict[str, Any]:
        """Start, package, deploy, fix the JWKS URL, add the demo user; the outputs."""
        try:
            return self.bring_up()
        except PeerError:
            raise
        except (BotoCoreError, ClientError, requests.RequestException, KeyError) as exc:
            raise PeerError(f"{type(exc).__name__}: {exc}") from exc

    def bring_up(self) -> dict[str, Any]:
        begun = time.perf_counter()
        self.launch()
        self.lap("ready", begun)
        options = self.options()
        session = emulator.session(options.region)
        bucket, key = cfn_deploy.upload_artifact(session, options)
        template = self.template(bucket, key)
        self.lap("package", begun)
        cfn = session.client("cloudformation", endpoint_url=self.endpoint)
        outputs = deploy(cfn, cfn_deploy.stack_arguments(options, template))
        self.lap("deploy", begun)
        outputs = self.point_at_jwks(cfn, outputs)
        self.lap("jwks_update", begun)
        cognito = session.client("cognito-idp", endpoint_url=self.endpoint)
        cognito_users.add_user(
            cognito, outputs["UserPoolId"], outputs["DemoUsername"], outputs["DemoPassword"]
        )
        self.lap("user", begun)
        return outputs

    def lap(self, name: str, begun: float) -> None:
        self.timings[name] = time.perf_counter() - begun - sum(self.timings.values())

    def launch(self) -> None:
        port = free_port()
        self.endpoint = f"http://127.0.0.1:{port}"
        (self.work / "tmp").mkdir(parents=True, exist_ok=True)
        environment = {
            **os.environ,
            "GATEWAY_PORT": str(port),
            "BIND_HOST": "127.0.0.1",
            # Shared across the run's starts, like MiniStack's default /tmp/ministack-state
            # on a developer's machine (its Cognito key file); no service state persists.
            "STATE_DIR": str(self.work / "state"),
            "TMPDIR": str(self.work / "tmp"),
            # Its MQTT listener binds the fixed port 8883: off, so two runs never collide.
            "IOT_MTLS_ENABLED": "0",
        }
        with (self.work / "ministack.log").open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - MiniStack's own entry point
                [str(self.python.parent / "ministack")],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise PeerError(f"MiniStack exited: {self.log_tail()}")
            try:
                if requests.get(f"{self.endpoint}/_ministack/ready", timeout=5).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(POLL_S)
        raise PeerError(f"MiniStack not ready in {READY_TIMEOUT_S:.0f} s: {self.log_tail()}")

    def log_tail(self) -> str:
        return (self.work / "ministack.log").read_text(errors="replace")[-800:]

    def options(self) -> cfn_deploy.CfnDeployOptions:
        return cfn_deploy.CfnDeployOptions(
            root=self.root,
            endpoint_url=self.endpoint,
            public_endpoint=self.endpoint,
            outputs_file=self.work / "outputs.json",
            stack_name=STACK,
            region=REGION,
        )

    def template(self, bucket: str, key: str) -> dict[str, Any]:
        template = cfn_deploy.packaged_template(
            self.root / "cloudformation" / "template.yaml", bucket, key, cfn_deploy.Target.AS_IS
        )
        for refusal in self.dropped:
            del template["Resources"][refusal.resource]
        return template

    def point_at_jwks(self, cfn: Any, outputs: dict[str, Any]) -> dict[str, Any]:
        """The authorizer fetches the issuer's JWKS from cognito-idp.<region>.amazonaws.com,
        which MiniStack's local executor does not reach (it redirects that host only for
        Docker functions under USE_SSL): the template's JwksUrl parameter, by UpdateStack."""
        jwks = f"{self.endpoint}/{outputs['UserPoolId']}/.well-known/jwks.json"
        arguments = {
            "StackName": STACK,
            "UsePreviousTemplate": True,
            "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
            "Parameters": [{"ParameterKey": "JwksUrl", "ParameterValue": jwks}],
        }
        cfn.update_stack(**arguments)
        return {**outputs, **wait(cfn, "UPDATE_COMPLETE")}

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        # Its function workers are its children, in the session it leads.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None


def deploy(cfn: Any, arguments: dict[str, Any]) -> dict[str, Any]:
    cfn.create_stack(**arguments)
    return wait(cfn, "CREATE_COMPLETE")


def wait(cfn: Any, success: str) -> dict[str, Any]:
    """Poll every 20 ms (the SDK waiter polls every 5 s): the stack's outputs."""
    while True:
        stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
        if not stack["StackStatus"].endswith("_IN_PROGRESS"):
            break
        time.sleep(POLL_S)
    if stack["StackStatus"] != success:
        raise DeployRefusedError(stack["StackStatus"], failures(cfn))
    return local_outputs(stack, cfn.meta.endpoint_url)


def local_outputs(stack: dict[str, Any], endpoint: str) -> dict[str, Any]:
    """The stack's outputs as ``localenv up`` writes them (API URL on MiniStack's path)."""
    outputs = {
        o["OutputKey"]: cfn_deploy.local_api_url(o["OutputValue"], endpoint)
        for o in stack.get("Outputs", [])
    }
    return {
        **outputs,
        "AwsEndpointUrl": endpoint,
        "Region": REGION,
        "DemoUsername": cognito_users.DEMO_USERNAME,
        "DemoPassword": cognito_users.DEMO_PASSWORD,
    }


def failures(cfn: Any) -> list[Refusal]:
    events = cfn.describe_stack_events(StackName=STACK)["StackEvents"]
    return [
        Refusal(e["LogicalResourceId"], e.get("ResourceStatusReason", ""))
        for e in events
        if e["ResourceStatus"].endswith("_FAILED") and e["LogicalResourceId"] != STACK
    ]


class DeployRefusedError(PeerError):
    def __init__(self, status: str, refusals: list[Refusal]) -> None:
        self.refusals = refusals
        reasons = "; ".join(f"{r.resource}: {r.reason}" for r in refusals)
        super().__init__(f"stack {status}: {reasons or 'no reason given'}")


def referenced(template: dict[str, Any], name: str) -> bool:
    """Whether another resource or an output names ``name`` (Ref, GetAtt, Sub, DependsOn)."""
    others = {k: v for k, v in template["Resources"].items() if k != name}
    text = json.dumps([others, template.get("Outputs", {})])
    return f'"{name}"' in text or f"${{{name}" in text or f'"{name}.' in text


def discover(python: Path, root: Path, work: Path, attempts: int = 3) -> list[Refusal]:
    """Deploy once, untimed: the resources the peer's CloudFormation refuses. Each one no
    other resource or output names is left out of the template it deploys (and reported);
    a refused resource that others need means the template cannot run there at all."""
    dropped: list[Refusal] = []
    for _ in range(attempts):
        stack = PeerStack(python, root, work, dropped=list(dropped))
        try:
            stack.start()
        except DeployRefusedError as refused:
            template = stack.template("bucket", "key")
            needed = [r for r in refused.refusals if referenced(template, r.resource)]
            if needed or not refused.refusals:
                raise
            dropped += refused.refusals
            continue
        finally:
            stack.stop()
        return dropped
    raise PeerError(f"still refused after leaving out {len(dropped)} resources")
