"""The unauthenticated, local-only variant for emulator editions without authorizers.

LocalStack's free edition has no provider for ``AWS::ApiGateway::Authorizer`` or
``AWS::Cognito::*`` (measured on 4.14.0), so the template cannot deploy there as is.
The template itself never gets a switch that turns authentication off: this variant is
derived at packaging time, as a separate, bannered document, and only ever sent to a
local endpoint. Methods lose their authorizer (``AuthorizationType: NONE``); the
authorizer, Cognito and everything that refers to them are removed.
"""

from __future__ import annotations

import copy
import ipaddress
from typing import Any
from urllib.parse import urlsplit

from localenv.intrinsics import references

VARIANT_NAME = "localstack-community"
BANNER = (
    "UNAUTHENTICATED LOCAL-ONLY VARIANT, derived by `localenv cfn-deploy --target "
    "localstack-community`: no authorizer, no Cognito; anyone reaching the API is let in. "
    "Never deploy it to AWS: cfn-deploy refuses any endpoint that is not local."
)
REMOVED_TYPES = ("AWS::ApiGateway::Authorizer", "AWS::Cognito::")


class VariantRefusedError(Exception):
    """The unauthenticated variant was asked for an endpoint that is not local."""


def is_local_endpoint(endpoint_url: str) -> bool:
    """Loopback addresses, ``localhost``, or a single-label name (a compose service)."""
    host = urlsplit(endpoint_url).hostname or ""
    if host == "localhost" or ("." not in host and ":" not in host and host):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refuse_unless_local(endpoint_url: str) -> None:
    if not is_local_endpoint(endpoint_url):
        raise VariantRefusedError(
            f"the {VARIANT_NAME} variant is unauthenticated and local-only: "
            f"refusing to deploy it to {endpoint_url} (not a loopback or local service address)"
        )


def unauthenticated_variant(template: dict[str, Any]) -> dict[str, Any]:
    variant = copy.deepcopy(template)
    resources: dict[str, Any] = variant["Resources"]
    for resource in resources.values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::ApiGateway::Method" and "AuthorizerId" in props:
            del props["AuthorizerId"]
            props["AuthorizationType"] = "NONE"
    removed = {n for n, r in resources.items() if r["Type"].startswith(REMOVED_TYPES)}
    removed = _close_over_references(resources, removed)
    for name in removed:
        del resources[name]
    variant["Outputs"] = {
        k: v for k, v in variant.get("Outputs", {}).items() if not references(v) & removed
    }
    variant["Description"] = f"{BANNER} {variant.get('Description', '')}".strip()
    variant.setdefault("Metadata", {})["LocalOnlyUnauthenticatedVariant"] = {
        "Banner": BANNER,
        "Removed": sorted(removed),
    }
    return variant


def _close_over_references(resources: dict[str, Any], removed: set[str]) -> set[str]:
    """Everything that refers, directly or not, to a removed resource goes too."""
    while True:
        more = {
            name
            for name, resource in resources.items()
            if name not in removed and _refers_to(resource, removed)
        }
        if not more:
            return removed
        removed = removed | more


def _refers_to(resource: dict[str, Any], names: set[str]) -> bool:
    depends = resource.get("DependsOn", [])
    depends = [depends] if isinstance(depends, str) else depends
    return bool(references(resource.get("Properties", {})) & names or set(depends) & names)
