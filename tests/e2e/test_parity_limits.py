"""Lambda's invocation limits through the gateway, with the probe stack's test functions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from localenv.pytest_plugin import StackProcess
from tests.e2e.stacks import running
from tests.e2e.test_gateway_behaviour import TEMPLATE, eventually, log_messages


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, localenv_backend_args: list[str]
) -> Iterator[StackProcess]:
    with running(
        tmp_path_factory.mktemp("limits"),
        "--template",
        str(TEMPLATE),
        "--stack-name",
        "limits",
        *localenv_backend_args,
    ) as process:
        yield process


def test_a_response_over_6291556_bytes_is_a_502_and_the_functions_log_says_why(
    stack: StackProcess,
) -> None:
    response = requests.get(f"{stack.outputs['ApiEndpoint']}/large", timeout=30)
    assert (response.status_code, response.text) == (502, '{"message": "Internal server error"}')
    why = "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
    assert eventually(lambda: any(why in m for m in limits_log(stack)), timeout=10)
    again = requests.get(f"{stack.outputs['ApiEndpoint']}/large", timeout=30)
    assert again.status_code == 502  # the environment survives, as on AWS


def limits_log(stack: StackProcess) -> list[str]:
    """The large function's log (``log_messages`` of the gateway tests knows the "gw" stack)."""
    return log_messages(stack, "large", stack_name="limits")
