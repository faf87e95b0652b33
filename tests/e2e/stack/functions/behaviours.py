"""Test functions with one behaviour each: they exercise the local gateway and runtime.

They are deployed by tests/e2e/stack/template.yaml, never by the real template.
"""

import json
import os
import time

STATE = {"invocations": 0, "pid": os.getpid()}


def echo(event, context):
    """Returns the proxy event it received, plus facts about its environment."""
    STATE["invocations"] += 1
    print("echo invoked")
    body = {
        "event": event,
        "pid": STATE["pid"],
        "invocations": STATE["invocations"],
        "remaining_ms": context.get_remaining_time_in_millis(),
        "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
    }
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"X-Multi": ["a", "b"]},
        "body": json.dumps(body),
    }


def binary(event, context):
    """Returns the request body back, base64-encoded as the proxy response allows."""
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/octet-stream"},
        "body": event["body"] or "",
        "isBase64Encoded": bool(event["isBase64Encoded"]),
    }


def fail(event, context):
    STATE["invocations"] += 1
    raise RuntimeError(f"secret failure detail from pid {STATE['pid']} #{STATE['invocations']}")


def slow(event, context):
    time.sleep(float(os.environ.get("SLEEP_SECONDS", "3")))
    return {"statusCode": 200, "body": "slept"}


def malformed(event, context):
    return {"statusCode": 200, "body": {"not": "a string"}, "extra": True}


def crash(event, context):
    os._exit(3)


def allow(event, context):
    """Allows every method of the stage unless the token says otherwise."""
    token = (event.get("headers") or {}).get("Authorization", "")
    arn = event["methodArn"].split("/")
    stage_arn = "/".join(arn[:2]) + "/*/*"
    if not token:
        raise Exception("Unauthorized")  # the authorizer's own check (no identity source)
    if token == "deny":
        effect = "Deny"
    elif token == "unauthorized":
        raise Exception("Unauthorized")
    elif token == "crash":
        raise ValueError("authorizer bug")
    elif token == "nested-context":
        return {
            "principalId": "p",
            "policyDocument": policy("Allow", stage_arn),
            "context": {"nested": {"no": "objects"}},
        }
    elif token == "other-resource":
        return {"principalId": "p", "policyDocument": policy("Allow", arn[0] + "/other/*/*")}
    else:
        effect = "Allow"
    return {
        "principalId": f"user-{token}",
        "policyDocument": policy(effect, stage_arn),
        "context": {"token": token, "count": 7, "flag": True},
    }


def policy(effect, resource):
    return {
        "Version": "2012-10-17",
        "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
    }


def large(event, context):
    """Answers a 6.5 MB body: over Lambda's 6,291,556-byte response limit."""
    return {"statusCode": 200, "body": "x" * (6_500_000)}
