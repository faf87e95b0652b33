"""The build is reproducible, and README's `aws cloudformation package` works verbatim."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import yaml
from moto.server import ThreadedMotoServer

from localenv.build import build
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
    assert not any("__pycache__" in n for n in names)


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
    subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, check=True)
    output = re.search(r"--output-template-file\s+(\S+)", command)
    assert output
    packaged = yaml.load((ROOT / output.group(1)).read_text(), Loader=CfnLoader)
    artifact = (ROOT / "build/lambda/functions.zip").read_bytes()
    functions = [r for r in packaged["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert len(functions) == 3
    for fn in functions:
        code = fn["Properties"]["Code"]
        assert code["S3Bucket"] == "dataproc-artifacts"
        body = s3.get_object(Bucket=code["S3Bucket"], Key=code["S3Key"])["Body"].read()
        assert hashlib.sha256(body).digest() == hashlib.sha256(artifact).digest()
