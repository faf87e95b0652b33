"""The build is reproducible, and README's `aws cloudformation package` works verbatim."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import boto3
import pytest
import yaml
from moto.server import ThreadedMotoServer

from localenv import template_loader
from localenv.build import build
from localenv.packaging import DEPLOYMENT, hash_deployments
from localenv.runtime.interpreters import interpreter_for
from tests.template_model import ROOT, CfnLoader

README = ROOT / "README.md"


def test_two_clean_builds_have_the_same_sha256(tmp_path: Path) -> None:
    first = build(ROOT, tmp_path / "a" / "functions.zip", cache=tmp_path / "cache-a")
    second = build(ROOT, tmp_path / "b" / "functions.zip", cache=tmp_path / "cache-b")
    assert not first.cached and not second.cached
    assert first.sha256 == second.sha256
    again = build(ROOT, tmp_path / "c" / "functions.zip", cache=tmp_path / "cache-a")
    assert again.cached and again.sha256 == first.sha256
    names = zipfile.ZipFile(first.path).namelist()
    assert "handlers/processor.py" in names
    assert any(n.startswith("jwt/") for n in names)
    assert any(n.startswith("aws_lambda_powertools/") for n in names)
    assert any(re.match(r"cryptography/hazmat/bindings/_rust\.abi3\.so", n) for n in names)
    # Bytecode ships for the runtime's interpreter only: one .pyc per .py, nothing else
    # (no stale __pycache__ of the developer's own Python from the source tree).
    sources = {n for n in names if n.endswith(".py")}
    compiled = {n for n in names if "__pycache__" in n}
    assert compiled == {cpython312_pyc(n) for n in sources}


def cpython312_pyc(source: str) -> str:
    """Where python3.12 looks for a source's bytecode (PEP 3147)."""
    path = PurePosixPath(source)
    return str(path.parent / "__pycache__" / f"{path.stem}.cpython-312.pyc")


def test_the_bytecode_is_hash_checked_and_imports_without_compiling(tmp_path: Path) -> None:
    code = tmp_path / "task"
    with zipfile.ZipFile(build(ROOT, tmp_path / "functions.zip").path) as archive:
        archive.extractall(code)
        # PEP 552 flags: hash-based (1) and checked against the source (2).
        flags = {int.from_bytes(archive.read(n)[4:8], "little") for n in archive.namelist()
                 if n.endswith(".pyc")}  # fmt: skip
    assert flags == {0b11}
    loaded = verbose_import(code, "handlers.tokens")
    assert f"code object from '{code}/handlers/__pycache__/tokens.cpython-312.pyc'" in loaded
    assert f"code object from '{code}/jwt/__pycache__/api_jwt.cpython-312.pyc'" in loaded
    # Nothing of the artifact is compiled at import: every module of it comes from a .pyc.
    assert not re.findall(rf"^# code object from {re.escape(str(code))}/\S+\.py$", loaded, re.M)


def test_a_source_edited_after_the_build_is_not_run_from_stale_bytecode(tmp_path: Path) -> None:
    code = tmp_path / "task"
    with zipfile.ZipFile(build(ROOT, tmp_path / "functions.zip").path) as archive:
        archive.extractall(code)
    (code / "handlers" / "policy.py").write_text("EDITED = True\n")
    loaded = verbose_import(code, "handlers.policy", "; assert handlers.policy.EDITED")
    assert f"code object from {code}/handlers/policy.py\n" in loaded


def verbose_import(code: Path, module: str, then: str = "") -> str:
    """``python3.12 -v`` importing ``module`` from ``code``, as the runtime does: code
    directory first, no site-packages, no bytecode written (``/var/task`` is read-only)."""
    python = interpreter_for("python3.12")
    assert python.matches_runtime, "python3.12 is needed to check the runtime's bytecode"
    run = subprocess.run(
        [python.executable, "-B", "-S", "-s", "-v", "-c", f"import {module}{then}"],
        cwd=code,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(code)},
    )
    return run.stderr


def readme_command(prefix: str) -> str:
    """The README line (with its continuations) that starts with ``prefix``."""
    text = README.read_text()
    match = re.search(rf"^{re.escape(prefix)}.*?(?<!\\)$", text, re.M | re.S)
    assert match, f"README has no {prefix!r} line"
    return match.group(0)


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_readme_package_command_uploads_the_artifact(s3_endpoint: str) -> None:
    build(ROOT)
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "BUCKET": "dataproc-artifacts",
    }
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.create_bucket(Bucket="dataproc-artifacts")
    command = readme_command("aws cloudformation package")
    rename = readme_command("localenv package")
    # `localenv` is the project's console script; here, the same entry point from the sources.
    params = readme_command("PARAMS=")
    script = f'localenv() {{ "{sys.executable}" -m localenv "$@"; }}\n{params}\n{command}\n{rename}'
    subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, check=True)
    output = re.search(r"--output-template-file\s+(\S+)", command)
    renamed = re.search(r"--output\s+(\S+)", rename)
    assert output and renamed
    packaged = yaml.load((ROOT / output.group(1)).read_text(), Loader=CfnLoader)
    deployed = yaml.load((ROOT / renamed.group(1)).read_text(), Loader=CfnLoader)
    # `localenv up` renames the source template's Deployment: the same id as for AWS.
    source = template_loader.load(ROOT / "cloudformation" / "template.yaml")
    overrides = dict(p.split("=", 1) for p in params.split('"')[1].split())
    (local_id,) = hash_deployments(source, overrides).values()
    assert [n for n, r in deployed["Resources"].items() if r["Type"] == DEPLOYMENT] == [local_id]
    assert deployed["Resources"]["ApiStage"]["Properties"]["DeploymentId"] == {"Ref": local_id}
    assert set(deployed["Resources"]) - {local_id} == set(packaged["Resources"]) - {"ApiDeployment"}
    artifact = (ROOT / "build/lambda/functions.zip").read_bytes()
    functions = [r for r in deployed["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert len(functions) == 3
    for fn in functions:
        code = fn["Properties"]["Code"]
        assert code["S3Bucket"] == "dataproc-artifacts"
        body = s3.get_object(Bucket=code["S3Bucket"], Key=code["S3Key"])["Body"].read()
        assert hashlib.sha256(body).digest() == hashlib.sha256(artifact).digest()
