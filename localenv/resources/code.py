"""A function's ``Code``: its bytes and their SHA-256, read once per deploy.

The deploy needs a function's code several times: its fingerprint (to plan an
update), the upload CreateFunction reads, and, once deployed, the runtime's check
against the emulator's ``CodeSha256`` and the unpacked copy it runs. Each used to
read the ~8 MB zip and hash it again (10 reads and 13 hashes for the template's three
functions). The deploy context keeps what one deploy read (``DeployContext.code_reads``,
emptied when a deploy or a reload begins), so every use within it sees the same bytes
and a file changed on disk is read again by the next deploy or reload.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localenv.intrinsics import UnsupportedError
from localenv.resources.base import DeployContext


@dataclass(frozen=True)
class FunctionCode:
    """A zip's bytes and their SHA-256 (Lambda's ``CodeSha256`` is its base64)."""

    data: bytes = field(repr=False)
    digest: bytes

    @classmethod
    def of(cls, data: bytes) -> FunctionCode:
        return cls(data, hashlib.sha256(data).digest())

    @property
    def hexdigest(self) -> str:
        return self.digest.hex()

    @property
    def code_sha256(self) -> str:
        return base64.b64encode(self.digest).decode()


def read_code(ctx: DeployContext, code: Any, where: str) -> FunctionCode:
    """The code a ``Code`` property names: a zip file or a directory (zipped here),
    relative to the template, or an inline ``ZipFile``."""
    if isinstance(code, str):
        path = (ctx.template_dir / code).resolve()
        if path not in ctx.code_reads:
            ctx.code_reads[path] = FunctionCode.of(path_bytes(path, code, where))
        return ctx.code_reads[path]
    if isinstance(code, dict) and "ZipFile" in code:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("index.py", str(code["ZipFile"]))
        return FunctionCode.of(buffer.getvalue())
    raise UnsupportedError(f"{where}: Code must be a local path or ZipFile locally, got {code!r}")


def path_bytes(path: Path, code: str, where: str) -> bytes:
    if path.is_file():
        return path.read_bytes()
    if path.is_dir():
        return zip_directory(path)
    raise UnsupportedError(f"{where}: Code path {code!r} does not exist (run `localenv build`)")


def zip_directory(root: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            if "__pycache__" not in path.parts:
                # Fixed timestamps: the same files always zip to the same bytes (CodeSha256).
                info = zipfile.ZipInfo(path.relative_to(root).as_posix(), (1980, 1, 1, 0, 0, 0))
                info.external_attr = 0o100644 << 16
                archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
