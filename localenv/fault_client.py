"""A client of the running stack's fault rules (``localenv faults``' routes on its
loopback control server), for the ``localenv_faults`` fixture and the load run."""

from __future__ import annotations

from typing import Any

import requests

from localenv.errors import LocalenvError


class FaultControlError(LocalenvError):
    """The stack refused a fault rule (the message says why) or cannot be reached."""


class Faults:
    """``add(service, error=...)``, ``rules()``, ``clear()`` against one stack."""

    def __init__(self, control_url: str):
        self.control_url = control_url.rstrip("/")

    def call(self, method: str, path: str, query: dict[str, Any] | None = None) -> Any:
        params = {k: v for k, v in (query or {}).items() if v is not None}
        response = requests.request(method, self.control_url + path, params=params, timeout=60)
        if not response.ok:
            raise FaultControlError(response.json().get("error", response.text))
        return response.json()

    def add(
        self,
        service: str,
        *,
        operation: str | None = None,
        error: str | None = None,
        unprocessed: float | None = None,
        latency_ms: int | None = None,
        rate: float | None = None,
        duration: str | None = None,
    ) -> dict[str, Any]:
        """One rule, e.g. ``add("dynamodb", error="InternalServerError", rate=0.3)``."""
        query: dict[str, Any] = {"service": service, "operation": operation, "error": error}
        query |= {"unprocessed": unprocessed, "latency": latency_ms, "rate": rate}
        rule: dict[str, Any] = self.call("POST", "/faults", {**query, "for": duration})
        return rule

    def rules(self) -> list[dict[str, Any]]:
        """Every rule with its ``injected`` count."""
        rules: list[dict[str, Any]] = self.call("GET", "/faults")
        return rules

    def clear(self) -> list[dict[str, Any]]:
        cleared: list[dict[str, Any]] = self.call("POST", "/faults/clear")
        return cleared
