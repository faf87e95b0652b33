"""Reports what the function sees of its execution environment (tests/e2e/test_sandbox.py).

Compared with AWS's python3.12 runtime as LocalStack's AWS-validated snapshots record it
(tests/aws/services/lambda_/test_lambda.snapshot.json, test_runtime_introspection_x86).
"""

import importlib.util
import json
import os
import resource
import shutil
import sys

import boto3

TMP_AT_INIT = sorted(os.listdir("/tmp"))
NOT_IN_LAMBDA = ("requests", "jwt", "yaml", "aws_lambda_powertools", "moto", "cryptography")


def write_fails(path):
    try:
        with open(path, "w") as handle:
            handle.write("x")
    except OSError as exc:
        return exc.strerror
    return None


def tmp_limit_mb():
    stats = os.statvfs("/tmp")
    return stats.f_blocks * stats.f_frsize // (1024 * 1024)


def facts(context):
    task = os.stat("/var/task")
    return {
        "python": f"{sys.version_info[0]}.{sys.version_info[1]}",
        "executable": sys.executable,
        "sys_path": sys.path,
        "importable": {m: importlib.util.find_spec(m) is not None for m in NOT_IN_LAMBDA},
        "boto3": boto3.__file__,
        "cwd": os.getcwd(),
        "uid": os.getuid(),
        "task_files": sorted(os.listdir("/var/task")),
        "task_owner": task.st_uid,
        "task_write": write_fails("/var/task/introspect.py"),
        "tmp_at_init": TMP_AT_INIT,
        "tmp_mb": tmp_limit_mb(),
        "tmp_write": write_fails("/tmp/probe"),
        "which": {t: shutil.which(t) for t in ("python3", "gcc", "aws", "pip", "sh")},
        "env": {k: os.environ.get(k) for k in ENV_KEYS},
        "nofile": list(resource.getrlimit(resource.RLIMIT_NOFILE)),
        "log_stream": context.log_stream_name,
        "caller": boto3.client("sts").get_caller_identity()["Arn"],
    }


ENV_KEYS = (
    "PATH",
    "LD_LIBRARY_PATH",
    "PYTHONPATH",
    "PWD",
    "TZ",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_EXECUTION_ENV",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
)


def handler(event, context):
    query = event.get("queryStringParameters") or {}
    if "fail" in query:
        raise ValueError("introspection failed on purpose")
    if "crash" in query:
        ballast = bytearray(96 * 1024 * 1024)  # touched: resident before the crash
        ballast[::4096] = b"x" * len(ballast[::4096])
        os._exit(3)
    size = int(query.get("bytes", "0"))
    if size:
        return {"statusCode": 200, "body": "x" * size}
    return {"statusCode": 200, "body": json.dumps(facts(context))}
