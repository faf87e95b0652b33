"""The service edge's added latency per AWS call.

    python benchmarks/edge_overhead.py [--calls 2000]

The same DynamoDB GetItem, one SDK client with keep-alive, three ways:
moto's threaded server directly (the stack's endpoint before the edge), the
edge with embedded moto in-process behind it and IAM evaluating a function's
role session, and the edge forwarding to moto's server over HTTP (the
``--endpoint-url`` case). Reported, not asserted.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from moto.server import ThreadedMotoServer  # noqa: E402

from localenv import emulator  # noqa: E402
from localenv.edge.backends import HttpBackend, MotoBackend  # noqa: E402
from localenv.edge.server import Edge  # noqa: E402
from localenv.iam.enforcer import Mode  # noqa: E402
from localenv.iam.guard import IamGuard  # noqa: E402
from localenv.iam.identities import read_identity  # noqa: E402

TABLE = "edge-bench"
ROLE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}],
}


def client(endpoint: str, service: str, **credentials: str) -> Any:
    session = emulator.session("us-east-1")
    if credentials:
        import boto3  # noqa: PLC0415

        session = boto3.Session(region_name="us-east-1", **credentials)
    return session.client(service, endpoint_url=endpoint)


def setup(endpoint: str) -> None:
    dynamodb = client(endpoint, "dynamodb")
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "k"}, "v": {"S": "x" * 100}})
    iam = client(endpoint, "iam")
    iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(ROLE_POLICY))
    iam.put_role_policy(RoleName="bench", PolicyName="read", PolicyDocument=json.dumps(ROLE_POLICY))


def function_credentials(endpoint: str, guard: IamGuard) -> dict[str, str]:
    arn = client(endpoint, "iam").get_role(RoleName="bench")["Role"]["Arn"]
    identity = read_identity(client(endpoint, "iam"), "bench-fn", arn, "/aws/lambda/bench-fn")
    session = guard.registry.register(client(endpoint, "sts"), identity)
    return {
        "aws_access_key_id": session.access_key,
        "aws_secret_access_key": session.secret_key,
        "aws_session_token": session.token,
    }


def p50_ms(dynamodb: Any, calls: int) -> float:
    key = {"pk": {"S": "k"}}
    for _ in range(50):
        dynamodb.get_item(TableName=TABLE, Key=key)
    samples = []
    for _ in range(calls):
        begun = time.perf_counter()
        dynamodb.get_item(TableName=TABLE, Key=key)
        samples.append((time.perf_counter() - begun) * 1000)
    return statistics.median(samples)


def measure(calls: int) -> dict[str, float]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    direct = f"http://{host}:{port}"
    guard = IamGuard(Mode.ENFORCE)
    embedded = Edge("127.0.0.1", 0, MotoBackend("127.0.0.1", 0), [guard.enforcer])
    forwarding = Edge("127.0.0.1", 0, HttpBackend(direct), [guard.enforcer])
    with embedded, forwarding:
        setup(direct)
        as_function = function_credentials(embedded.endpoint_url, guard)
        results = {
            "edge_direct_moto_p50_ms": p50_ms(client(direct, "dynamodb"), calls),
            "edge_embedded_p50_ms": p50_ms(
                client(embedded.endpoint_url, "dynamodb", **as_function), calls
            ),
            "edge_forwarding_p50_ms": p50_ms(
                client(forwarding.endpoint_url, "dynamodb", **as_function), calls
            ),
        }
    moto.stop()
    direct_ms = results["edge_direct_moto_p50_ms"]
    results["edge_overhead_embedded_p50_ms"] = results["edge_embedded_p50_ms"] - direct_ms
    results["edge_overhead_forwarding_p50_ms"] = results["edge_forwarding_p50_ms"] - direct_ms
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    print(json.dumps(measure(args.calls), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
