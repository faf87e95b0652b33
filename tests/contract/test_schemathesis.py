"""Schemathesis from cloudformation/openapi.yaml against the local stack, with a real token.

Every check but ``unsupported_method`` (tests/contract/schemathesis.toml says why),
positive and negative data, the coverage, fuzzing and stateful phases (POST's uploadId
-> GET /dataproc/{uploadId}, nextCursor -> the next page), a bounded number of examples
and a fixed seed. The report lands in the test's temporary directory (JUnit XML).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.contract.document import DOCUMENT

CONFIG = Path(__file__).with_name("schemathesis.toml")
RUN_TIMEOUT_SECONDS = 600


def schemathesis_command(base_url: str, report_dir: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "run",
        str(DOCUMENT),
        "--url",
        base_url,
        "--report",
        "junit",
        "--report-dir",
        str(report_dir),
    ]


def test_schemathesis_finds_no_failure(
    localenv_stack: dict[str, Any], localenv_token: str, tmp_path: Path
) -> None:
    base_url = localenv_stack["ApiEndpoint"].removesuffix("/dataproc")
    result = subprocess.run(
        schemathesis_command(base_url, tmp_path),
        env={**os.environ, "LOCALENV_TOKEN": localenv_token, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=RUN_TIMEOUT_SECONDS,
    )
    print(result.stdout)
    assert "Coverage" in result.stdout and "Stateful" in result.stdout
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
