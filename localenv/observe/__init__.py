"""Logs, metrics and alarms of the local stack: what CloudWatch and SNS do on AWS."""
