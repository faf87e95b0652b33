"""The compose stack: checked statically here, run for real wherever Docker runs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from localenv.cfn_deploy import Target
from localenv.cfn_variant import is_local_endpoint
from tests.docker.conftest import COMPOSE_FILE
from tests.template_model import ROOT

README = ROOT / "README.md"
DOCKERFILE = ROOT / "Dockerfile"
VARIABLE_DEFAULT = re.compile(r"\$\{[A-Z_]+:-([^}]+)\}")


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE_FILE.read_text()))


def test_compose_file_validates_against_the_compose_specification(
    compose_schema: dict[str, Any],
) -> None:
    validator = jsonschema.Draft201909Validator(compose_schema)
    errors = sorted(validator.iter_errors(compose()), key=str)
    assert not errors, [e.message for e in errors]


def test_every_image_is_pinned_by_tag() -> None:
    from_line = next(
        line for line in DOCKERFILE.read_text().splitlines() if line.startswith("FROM ")
    )
    images = [from_line.split()[1]] + [s["image"] for s in compose()["services"].values()]
    for image in images:
        resolved = VARIABLE_DEFAULT.sub(lambda m: m.group(1), image)
        name, _, tag = resolved.rpartition(":")
        assert name and tag and tag != "latest", image
        assert re.fullmatch(r"[\w.-]+", tag), image
    assert "localstack/localstack:4.14.0" in [
        VARIABLE_DEFAULT.sub(lambda m: m.group(1), i) for i in images
    ]


def test_ports_bind_to_loopback_only() -> None:
    for name, service in compose()["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)


def test_healthcheck_command_exists_in_the_image() -> None:
    service = compose()["services"]["localenv"]
    command = service["healthcheck"]["test"]
    assert command[0] == "CMD"
    executable = Path(command[1])
    dockerfile = DOCKERFILE.read_text()
    workdir = re.search(r"^WORKDIR (\S+)", dockerfile, re.M)
    assert workdir and executable.is_relative_to(workdir.group(1))
    # The install step makes <WORKDIR>/.venv, whose console script is `localenv`.
    assert "python3 -m venv .venv" in dockerfile
    assert executable.relative_to(workdir.group(1)) == Path(".venv/bin/localenv")
    scripts = re.search(
        r'^\[project\.scripts\]\nlocalenv = "localenv\.cli:main"',
        (ROOT / "pyproject.toml").read_text(),
        re.M,
    )
    assert scripts
    # `localenv status` answers 0 only when the stack is ready.
    assert command[2:] == ["--state-dir", "/state", "status"]


def readme_install_step() -> str:
    quickstart = README.read_text().split("## Quickstart", 1)[1]
    first = re.search(r"```sh\n(.+?)\n", quickstart)
    assert first
    return first.group(1).split(" && .venv/bin/localenv", 1)[0]


def test_dockerfile_installs_exactly_as_the_readme_says() -> None:
    step = readme_install_step()
    assert step == "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'"
    runs = [
        line.removeprefix("RUN ").strip()
        for line in DOCKERFILE.read_text().splitlines()
        if line.startswith("RUN ")
    ]
    assert step in runs


def test_outputs_are_written_to_the_mounted_volume() -> None:
    service = compose()["services"]["localenv"]
    assert "./.localenv:/state" in service["volumes"]
    assert service["command"][1:3] == ["--state-dir", "/state"]
    assert "--host" in service["command"] and "0.0.0.0" in service["command"]


@pytest.mark.docker
def test_compose_stack_serves_the_readme_lines(compose_outputs: Path) -> None:
    """Inside Docker: the upload E2E suite against the compose stack, attached by outputs."""
    outputs = json.loads(compose_outputs.read_text())
    assert outputs["AwsEndpointUrl"] == "http://127.0.0.1:4566"
    assert outputs["ApiEndpoint"] == "http://127.0.0.1:4510/prod/dataproc"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(ROOT / "tests" / "e2e" / "test_upload_api.py"),
            "--localenv-outputs",
            str(compose_outputs),
        ],
        cwd=ROOT,
        check=False,
        timeout=900,
    )
    assert result.returncode == 0


def test_compose_runs_the_localstack_release_tox_measures() -> None:
    """What README's LocalStack table says was measured (`tox -e localstack`) is the
    release the compose profile runs."""
    pinned = re.search(r"localstack-core\[runtime\]==([\w.]+)", (ROOT / "tox.ini").read_text())
    assert pinned
    image = compose()["services"]["localstack"]["image"]
    assert VARIABLE_DEFAULT.sub(lambda m: m.group(1), image).endswith(f":{pinned.group(1)}")
    assert f"LocalStack {pinned.group(1)}" in README.read_text()


def test_compose_deploy_job_uses_a_cfn_deploy_target_on_a_local_endpoint() -> None:
    command = compose()["services"]["localstack-deploy"]["command"]
    target = VARIABLE_DEFAULT.sub(lambda m: m.group(1), command[command.index("--target") + 1])
    assert target in {t.value for t in Target}
    endpoint = command[command.index("--endpoint-url") + 1]
    assert is_local_endpoint(endpoint)  # the unauthenticated variant may go there, nowhere else
