"""IAM's wildcard matching for actions and resource ARNs.

IAM matches ``*`` (any run of characters) and ``?`` (one character); actions
case-insensitively, resources case-sensitively. In a resource ARN wildcards
stay within their colon-separated segment, but "if the * wildcard is the last
character of a resource ARN segment, it can expand to match beyond the colon
boundaries":
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
"""

from __future__ import annotations

import functools
import re


@functools.lru_cache(maxsize=4096)
def glob_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return glob_regex(pattern, ignore_case).fullmatch(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    return glob(pattern, action, ignore_case=True)


def segment_regex(segment: str) -> str:
    last = len(segment) - 1
    return "".join(
        (".*" if i == last else "[^:]*") if c == "*" else "[^:]" if c == "?" else re.escape(c)
        for i, c in enumerate(segment)
    )


@functools.lru_cache(maxsize=4096)
def arn_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(":".join(segment_regex(s) for s in pattern.split(":")), re.DOTALL)


def resource_matches(pattern: str, arn: str) -> bool:
    return pattern == "*" or arn_regex(pattern).fullmatch(arn) is not None
