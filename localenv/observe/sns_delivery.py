"""What SNS delivers to a subscriber: the JSON envelope of a notification, signed.

moto writes its own envelope into SQS (SignatureVersion "2" on every topic, a fixed
subscription id in UnsubscribeURL), so the harness builds AWS's envelope itself and
delivers it to each confirmed subscription of the topic:
https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
Keys and order as recorded from AWS (LocalStack's AWS-validated snapshot
``tests/aws/services/sns/test_sns.snapshot.json``, SQS deliveries); the signature per
https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html
(SignatureVersion "1" = SHA1withRSA, the default; "2" = SHA256withRSA when the topic
sets it).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import time
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


@dataclass(frozen=True)
class Subscription:
    arn: str
    protocol: str
    endpoint: str
    raw: bool  # RawMessageDelivery: the message alone, no envelope


@dataclass(frozen=True)
class Notification:
    topic_arn: str
    subject: str
    message: str
    signature_version: str  # the topic's SignatureVersion attribute, "1" unless set


@functools.cache
def signing_key() -> rsa.RSAPrivateKey:
    """One key per process: a local signature, verifiable only against this key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def timestamp(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch % 1 * 1000):03d}Z"


def string_to_sign(fields: dict[str, str]) -> str:
    """Name and value on their own lines, in this order, Subject only when present."""
    names = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
    return "".join(f"{n}\n{fields[n]}\n" for n in names if n in fields)


def sign(fields: dict[str, str], version: str) -> str:
    algorithm: hashes.HashAlgorithm = hashes.SHA256() if version == "2" else hashes.SHA1()  # noqa: S303 - AWS's SignatureVersion 1 is SHA1withRSA
    signature = signing_key().sign(string_to_sign(fields).encode(), padding.PKCS1v15(), algorithm)
    return base64.b64encode(signature).decode()


def envelope(note: Notification, subscription: Subscription, when: float) -> dict[str, Any]:
    region = note.topic_arn.split(":")[3]
    fields = {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": note.topic_arn,
        "Subject": note.subject,
        "Message": note.message,
        "Timestamp": timestamp(when),
    }
    cert = hashlib.md5(note.topic_arn.encode(), usedforsecurity=False).hexdigest()
    return {
        **fields,
        "SignatureVersion": note.signature_version,
        "Signature": sign(fields, note.signature_version),
        "SigningCertURL": f"https://sns.{region}.amazonaws.com/SimpleNotificationService-{cert}.pem",
        "UnsubscribeURL": (
            f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe"
            f"&SubscriptionArn={subscription.arn}"
        ),
    }


def http_headers(body: dict[str, Any], subscription: Subscription) -> dict[str, str]:
    """The headers SNS sends with an HTTP/S delivery
    (https://docs.aws.amazon.com/sns/latest/dg/http-header.html)."""
    return {
        "x-amz-sns-message-type": "Notification",
        "x-amz-sns-message-id": str(body.get("MessageId", "")),
        "x-amz-sns-topic-arn": str(body.get("TopicArn", "")),
        "x-amz-sns-subscription-arn": subscription.arn,
        "Content-Type": "text/plain; charset=UTF-8",
        "User-Agent": "Amazon Simple Notification Service Agent",
    }
