"""IAM's wildcard matching for actions and resource ARNs.

IAM matches ``*`` (any run of characters) and ``?`` (one character); actions
case-insensitively, resources case-sensitively. In a resource ARN a wildcard
stays within its colon-separated segment, except in the resource segment (the
sixth, which may itself contain colons and slashes) and when ``*`` ends the
pattern's last segment, which then expands beyond the colon boundaries:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
"""

from __future__ import annotations

import functools
import re

ARN_SEGMENTS = 6  # arn:partition:service:region:account:resource


@functools.lru_cache(maxsize=4096)
def glob_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return glob_regex(pattern, ignore_case).fullmatch(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    return glob(pattern, action, ignore_case=True)


def resource_matches(pattern: str, arn: str) -> bool:
    if pattern == "*":
        return True
    wanted = pattern.split(":", ARN_SEGMENTS - 1)
    actual = arn.split(":", ARN_SEGMENTS - 1)
    last = len(wanted) - 1
    for index, part in enumerate(wanted[:last]):
        if index >= len(actual) or ":" in actual[index] or not glob(part, actual[index]):
            return False
    rest = ":".join(actual[last:])
    if last == ARN_SEGMENTS - 1 or (wanted[last].endswith("*") and last < len(actual)):
        return glob(wanted[last], rest)
    return len(actual) == len(wanted) and glob(wanted[last], actual[last])
