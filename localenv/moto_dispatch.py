"""moto's server, dispatched without a Flask application per call.

moto's server (``moto.moto_server.werkzeug_app``) picks a backend per request
(``DomainDispatcherApplication``), then runs a Flask app made for that backend:
its URL map routes the request to the backend's response method, wrapped by
``convert_to_flask_response``; flask-cors adds its headers afterwards. Per call,
the Flask request context, ``full_dispatch_request`` and the after-request hooks
cost about a quarter of a served DynamoDB call, and making each backend's app is
part of the first call to every service at start.

``Dispatcher`` keeps moto's choice of backend and routes with the same werkzeug
rules Flask would (the same paths, converter, methods and ``strict_slashes``),
then does what ``convert_to_flask_response`` and flask-cors do, in one function:
the same request class moto's server hands a handler, the same errors turned into
answers, the same werkzeug ``Response`` and the same CORS headers. What it does
not route itself (moto's own ``/moto-api``, the instance metadata service, a path
no rule matches) goes to moto's Flask app, as before. It is written so it can be
offered upstream: a server that dispatches as moto's ``BotocoreStubber`` does.

It also keeps, per host, the backend moto picks: moto 5.2 lists its package
directory (``os.listdir`` and an ``os.path.isdir`` per entry) to check a host on
every request; the answer depends only on the host and the installed moto.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from botocore.exceptions import ClientError
from flask import Response  # Flask's: its default Content-Type is text/html, as moto's server sends
from flask_cors.core import get_cors_headers, get_cors_options
from moto import backends
from moto.core.base_backend import BackendDict
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.core.request import Request
from moto.moto_api import recorder
from moto.moto_server.utilities import RegexConverter
from moto.moto_server.werkzeug_app import (
    HTTP_METHODS,
    DomainDispatcherApplication,
    create_backend_app,
)
from moto.settings import DISABLE_GLOBAL_CORS
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

Handler = Callable[[Any, str, Any], Any]
StartResponse = Callable[..., Any]
# moto's server routes these to apps of its own rather than to a service backend.
FLASK_ONLY = frozenset({"moto_api", "instance_metadata"})
# flask-cors as moto's server sets it up: ``CORS(app)`` with no configuration.
CORS_OPTIONS = get_cors_options(SimpleNamespace(config={}))  # type: ignore[arg-type]


class ServerRequest(Request):
    """The request class moto's server gives a handler (``BackendRequest``), without
    Flask's: moto reads ``from_wsgi_server`` to know the body came through WSGI."""

    from_wsgi_server = True


@dataclass(frozen=True)
class Routes:
    """One backend's URL rules, as ``create_backend_app`` registers them with Flask."""

    service: str
    rules: Map
    handlers: dict[str, Handler]

    def find(self, environ: dict[str, Any]) -> Handler | None:
        try:
            endpoint, _ = self.rules.bind_to_environ(environ).match()
        except HTTPException:  # NotFound, MethodNotAllowed, RequestRedirect: Flask answers
            return None
        return self.handlers[str(endpoint)]


def backend_instance(service: str) -> Any:
    """The backend instance whose URLs moto's server routes (``create_backend_app``)."""
    backend_dict = backends.get_backend(service)  # type: ignore[call-overload]
    if not isinstance(backend_dict, BackendDict):
        return backend_dict["global"]
    regions = backend_dict[DEFAULT_ACCOUNT_ID]
    return regions["us-east-1"] if "us-east-1" in regions else regions["aws"]


def routes_for(service: str) -> Routes:
    rules = Map()
    rules.converters["regex"] = RegexConverter
    handlers: dict[str, Handler] = {}
    for url_path, handler in backend_instance(service).flask_paths.items():
        endpoint = f"{len(handlers)}"
        handlers[endpoint] = handler
        if url_path:  # moto's server skips an empty path too: Flask cannot route it
            rules.add(Rule(url_path, endpoint=endpoint, methods=HTTP_METHODS, strict_slashes=False))
    return Routes(service, rules, handlers)


def new_flask_app(service: str) -> Any:
    """moto's own Flask app for a backend."""
    return create_backend_app(service)  # type: ignore[arg-type]


def make_app(service: str) -> Any:
    """What the dispatcher keeps per backend: its routes, or moto's Flask app."""
    return new_flask_app(service) if service in FLASK_ONLY else routes_for(service)


def served(handler: Handler, environ: dict[str, Any]) -> Response:
    """``convert_to_flask_response`` and Flask's error handling, for one request."""
    request = ServerRequest(environ)
    try:
        recorder._record_request(request)
        result = handler(request, request.raw_url, dict(request.headers))
    except ClientError as exc:
        result = 400, {}, exc.response["Error"]["Message"]
    except HTTPException as exc:  # moto's service errors: Flask answers with the exception
        result = exc.code, exc.get_headers(environ), exc.get_body(environ)
    status, headers, content = result if len(result) == 3 else (200, {}, result)
    response = Response(response=content, status=status, headers=headers)
    if request.method == "HEAD" and "content-length" in headers:
        response.headers["Content-Length"] = headers["content-length"]
    if not DISABLE_GLOBAL_CORS:
        for name, value in get_cors_headers(CORS_OPTIONS, request.headers, request.method).items():
            response.headers.add(name, value)
    return response


class Dispatcher(DomainDispatcherApplication):
    """moto's server as a WSGI application, routing each request itself."""

    def __init__(self) -> None:
        super().__init__(make_app)
        self.known: dict[str | None, Any] = {}
        self.flask_apps: dict[str, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        if host not in self.known:
            self.known[host] = super().get_backend_for_host(host)
        return self.known[host]

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        app = self.get_application(environ)
        if not isinstance(app, Routes):
            return app(environ, start_response)
        handler = app.find(environ)
        if handler is None:  # Flask's own answer (404, 405) for what no rule routes
            return self.flask_app(app.service)(environ, start_response)  # type: ignore[no-any-return]
        return served(handler, environ)(environ, start_response)

    def flask_app(self, service: str) -> Any:
        if service not in self.flask_apps:
            self.flask_apps[service] = new_flask_app(service)
        return self.flask_apps[service]
