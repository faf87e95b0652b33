"""Copies of the real template changed one way, by editing its text.

The edits find resources by their logical ids and replace whole blocks, so they
hold whichever version of cloudformation/template.yaml the copy starts from.
"""

from __future__ import annotations

import re
from pathlib import Path

# The API Gateway account role as the template first wrote it: access-log actions
# on the access log group only, narrower than AmazonAPIGatewayPushToCloudWatchLogs.
NARROW_ACCOUNT_ROLE = """\
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: apigateway.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: access-logs
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: [logs:CreateLogStream, logs:PutLogEvents, logs:DescribeLogStreams]
                Resource: !Sub "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:\
log-group:${ApiAccessLogGroup}:log-stream:*"
"""

# The role allowing what AWS's AmazonAPIGatewayPushToCloudWatchLogs allows (inline: moto
# attaches AWS managed policies only when configured to load them).
PUSH_TO_LOGS_ACCOUNT_ROLE = """\
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: apigateway.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: push-to-cloudwatch-logs
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action:
                  - logs:CreateLogGroup
                  - logs:CreateLogStream
                  - logs:DescribeLogGroups
                  - logs:DescribeLogStreams
                  - logs:PutLogEvents
                  - logs:GetLogEvents
                  - logs:FilterLogEvents
                Resource: "*"
"""


def block(text: str, logical_id: str) -> re.Match[str]:
    """A resource's lines: its key and every following line indented deeper (or blank)."""
    found = re.search(rf"^  {logical_id}:\n((?:(?:    .*)?\n)*)", text, flags=re.M)
    if found is None:
        raise AssertionError(f"{logical_id} is not in the template")
    return found


def without(text: str, logical_id: str) -> str:
    found = block(text, logical_id)
    return text[: found.start()] + text[found.end() :]


def with_body(text: str, logical_id: str, body: str) -> str:
    found = block(text, logical_id)
    return text[: found.start(1)] + body + "\n" + text[found.end() :]


def account_role(text: str) -> str:
    found = re.search(r"CloudWatchRoleArn: !GetAtt (\w+)\.Arn", text)
    if found is None:
        raise AssertionError("the ApiGatewayAccount role is not a role of the template")
    return found.group(1)


def with_reserved_concurrency(text: str, logical_id: str, value: int) -> str:
    body = block(text, logical_id).group(1)
    body = re.sub(r"^      ReservedConcurrentExecutions:.*\n", "", body, flags=re.M)
    body = body.replace(
        "    Properties:\n", f"    Properties:\n      ReservedConcurrentExecutions: {value}\n", 1
    )
    return with_body(text, logical_id, body.rstrip("\n"))


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def with_logging_account_role(text: str) -> str:
    """The template with its API Gateway account role allowing what AWS requires (the
    deploy check refuses less): every other test copy starts from this."""
    return with_body(text, account_role(text), PUSH_TO_LOGS_ACCOUNT_ROLE)
