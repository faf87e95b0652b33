"""An outcome counts only if the runtime posted it before the function's deadline: Lambda
stops a function at its timeout, so an answer posted later is a timeout even when the
invoker's wait notices it first."""

from __future__ import annotations

import http.client
import math
import time

from localenv.runtime.runtime_api import PREFIX, Invocation, RuntimeApiServer


def test_an_invocation_not_answered_is_answered_by_no_deadline() -> None:
    invocation = Invocation("r", b"{}", 0, "arn", "t")
    assert not invocation.answered_by(time.monotonic() + 3600)
    assert not invocation.answered_by(math.inf)


def test_the_answer_is_dated_when_the_runtime_posts_it() -> None:
    server = RuntimeApiServer()
    server.start()
    try:
        host, port = server.address.split(":")
        invocation = Invocation("req-1", b"{}", 0, "arn", "t")
        server.pending.put(invocation)
        worker = http.client.HTTPConnection(host, int(port), timeout=10)
        worker.request("GET", f"{PREFIX}/invocation/next")
        assert worker.getresponse().read() == b"{}"
        before = time.monotonic()
        worker.request("POST", f"{PREFIX}/invocation/req-1/response", body=b'"done"')
        assert worker.getresponse().status == 202
        after = time.monotonic()
        assert invocation.done.wait(10)
        worker.close()
    finally:
        server.stop()
    assert invocation.response == b'"done"'
    assert before <= invocation.answered_at <= after
    assert invocation.answered_by(after + 0.001)
    assert not invocation.answered_by(before)  # a deadline that passed before the post
