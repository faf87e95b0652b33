"""A function's Code is read once per deploy: the same bytes for every use within it,
the file as it is then for the next one."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from localenv.intrinsics import UnsupportedError
from localenv.resources.base import DeployContext
from localenv.resources.code import FunctionCode, read_code


def context(template_dir: Path) -> DeployContext:
    return DeployContext("http://127.0.0.1:1", "us-east-1", "123456789012", "s", template_dir, None)


def test_a_code_file_is_read_once_per_deploy_and_again_by_the_next(tmp_path: Path) -> None:
    artifact = tmp_path / "build" / "code.zip"
    artifact.parent.mkdir()
    artifact.write_bytes(b"first")
    ctx = context(tmp_path / "cloudformation")
    first = read_code(ctx, "../build/code.zip", "Fn.Code")
    artifact.write_bytes(b"second")
    assert read_code(ctx, "../build/code.zip", "Fn.Code") is first  # one deploy, one read
    ctx.code_reads.clear()  # what a deploy or a reload does first
    again = read_code(ctx, "../build/code.zip", "Fn.Code")
    assert again.data == b"second"
    assert again.hexdigest == hashlib.sha256(b"second").hexdigest()
    assert again.code_sha256 == base64.b64encode(hashlib.sha256(b"second").digest()).decode()


def test_directories_zip_the_same_twice_and_inline_code_is_not_kept(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.py").write_text("def handler(e, c):\n    return 1\n")
    first = read_code(context(tmp_path), "src", "Fn.Code")
    assert read_code(context(tmp_path), "src", "Fn.Code") == first
    ctx = context(tmp_path)
    inline = read_code(ctx, {"ZipFile": "x = 1"}, "Fn.Code")
    assert inline == FunctionCode.of(inline.data)
    assert list(ctx.code_reads) == []


def test_a_missing_code_path_names_the_property(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedError, match=r"Fn\.Code: Code path 'nope.zip' does not exist"):
        read_code(context(tmp_path), "nope.zip", "Fn.Code")
