"""The floors each figure is shown against, measured in the same run.

- start-up: ``python -c 'import moto.server'`` (a fresh interpreter) plus the raw
  deploy calls (CreateTable with the template's keys and index, and one
  CreateFunction per function with the same zip) straight into a moto server;
- latency: one ``PutItem`` straight into the stack's emulator (p50), back to back and
  paced as the warm uploads are (one every ``interval`` seconds): a call that follows
  an idle gap costs about twice one that follows another here (cold caches, a
  sleeping core), so a paced upload is shown against paced floors.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from localenv import emulator

FUNCTIONS = ("authorizer", "processor", "reader")
TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


def import_moto_server_s() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import moto.server"], check=True)
    return time.perf_counter() - started


def timed_calls(call: Callable[[], object], count: int, interval: float = 0.0) -> list[float]:
    """Milliseconds of each of ``count`` calls, one started every ``interval`` seconds
    at most (0: back to back)."""
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
        time.sleep(max(0.0, interval - (time.perf_counter() - started)))
    return samples


def put_item_p50_ms(outputs: dict[str, Any], count: int, interval: float = 0.0) -> float:
    dynamodb = emulator.session(outputs["Region"]).client(
        "dynamodb", endpoint_url=outputs["AwsEndpointUrl"]
    )

    def put() -> None:
        item = {"pk": {"S": f"BENCH#{uuid.uuid4()}"}, "sk": {"S": "META"}, "text": {"S": "x"}}
        dynamodb.put_item(TableName=outputs["TableName"], Item=item)

    samples = timed_calls(put, count, interval)
    return sorted(samples)[len(samples) // 2]


def raw_deploy_s(zip_path: Path) -> float:
    """The deploy's heaviest calls, straight into a fresh in-process moto server."""
    from moto.server import ThreadedMotoServer  # noqa: PLC0415 - moto loads lazily

    port = emulator_port()
    server = ThreadedMotoServer(port=port, verbose=False)
    server.start()
    try:
        session = emulator.session("us-east-1")
        url = f"http://127.0.0.1:{port}"
        suffix = uuid.uuid4().hex[:8]  # moto's state is this process's: names must be new
        started = time.perf_counter()
        create_table(session.client("dynamodb", endpoint_url=url), f"bench-{suffix}")
        iam = session.client("iam", endpoint_url=url)
        role = iam.create_role(RoleName=f"bench-{suffix}", AssumeRolePolicyDocument=TRUST)["Role"][
            "Arn"
        ]
        awslambda = session.client("lambda", endpoint_url=url)
        code = zip_path.read_bytes()
        for name in FUNCTIONS:
            awslambda.create_function(
                FunctionName=f"{name}-{suffix}",
                Runtime="python3.12",
                Role=role,
                Handler=f"handlers.{name}.handler",
                Code={"ZipFile": code},
            )
        return time.perf_counter() - started
    finally:
        server.stop()


def emulator_port() -> int:
    from localenv.pytest_plugin import free_port  # noqa: PLC0415 - pytest loads lazily

    return free_port()


def create_table(dynamodb: Any, name: str) -> None:
    keys = [("pk", "HASH"), ("sk", "RANGE")]
    index = [("gsi1pk", "HASH"), ("gsi1sk", "RANGE")]
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n, _ in keys + index],
        KeySchema=[{"AttributeName": n, "KeyType": k} for n, k in keys],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byOwner",
                "KeySchema": [{"AttributeName": n, "KeyType": k} for n, k in index],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


def start_floor(zip_path: Path) -> dict[str, float]:
    moto_import = import_moto_server_s()
    deploy = raw_deploy_s(zip_path)
    return {
        "floor_import_moto_server_s": moto_import,
        "floor_raw_deploy_s": deploy,
        "floor_start_s": moto_import + deploy,
    }
