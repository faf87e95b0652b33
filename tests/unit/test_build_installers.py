"""The build installs platform wheels with uv when it can, with pip otherwise."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from localenv import build

FAILING = [sys.executable, "-c", "import sys; sys.exit('installer refused')"]


def installed_by(target: Path) -> str:
    [info] = target.glob("six-*.dist-info")
    return (info / "INSTALLER").read_text().strip()


def test_uv_is_tried_first_with_the_lambda_platform() -> None:
    commands = build.installers("3.12")
    assert commands[-1][:3] == [sys.executable, "-m", "pip"]
    assert "manylinux2014_x86_64" in commands[-1]
    if build.uv_binary() is not None:
        assert len(commands) == 2
        uv = commands[0]
        assert uv[1:3] == ["pip", "install"]
        assert uv[uv.index("--python-platform") + 1] == "x86_64-manylinux2014"
        assert uv[uv.index("--python-version") + 1] == "3.12"


def test_a_failing_installer_falls_back_to_the_next(tmp_path: Path) -> None:
    pip = build.installers("3.12")[-1]
    target = build.install_platform_wheels(
        ["six==1.17.0"], "3.12", tmp_path / "deps", "six", [FAILING, pip]
    )
    assert (target / "six.py").is_file()
    assert installed_by(target) == "pip"
    assert [p.name for p in tmp_path.iterdir()] == ["deps"]  # no staging left behind


def test_when_every_installer_fails_the_build_says_why(tmp_path: Path) -> None:
    with pytest.raises(build.BuildError, match=r": installer refused; .*: installer refused"):
        build.install_platform_wheels(["six"], "3.12", tmp_path / "d", "six", [FAILING] * 2)
    assert list(tmp_path.iterdir()) == []
