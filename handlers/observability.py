"""Structured logs and business metrics (Powertools Logger and Metrics, EMF).

Objects only: building them does no I/O. Metrics are flushed as Embedded Metric
Format lines on stdout, which CloudWatch turns into metrics.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics

NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "DataProc")


def logger(service: str) -> Logger:
    return Logger(service=service)


def metrics(service: str) -> Metrics:
    return Metrics(namespace=NAMESPACE, service=service)
