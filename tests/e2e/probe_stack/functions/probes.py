"""The probe stack's one function: it answers what the request's body asks for.

Like the function LocalStack's AWS-validated API Gateway tests use (the proxy
response is the request body), so a test can make the function return any
proxy response; without a body it returns the event it received.
"""

import json


def respond(event, context):
    if event.get("body") and not event.get("isBase64Encoded"):
        return json.loads(event["body"])
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(event),
    }
