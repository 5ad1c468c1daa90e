"""When ``server.request_log`` counts and logs a request: by the time its answer's last part is
sent, so a client that has its answer and then scrapes ``/metrics`` finds its request counted,
even when the application goes on after answering (a background task, a server that yields)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from shotlog import telemetry
from shotlog.server.request_log import RequestLog

PATH = "/api/v1/request-log-test"


def _count(status: str) -> float:
    return (
        telemetry.REGISTRY.get_sample_value(
            "shotlog_http_requests_total", {"interface": "rest", "method": "GET", "status": status}
        )
        or 0.0
    )


def _scope() -> dict[str, Any]:
    return {
        "type": "http",
        "method": "GET",
        "path": PATH,
        "query_string": b"",
        "headers": [],
        "client": ("127.0.0.1", 5000),
        "http_version": "1.1",
    }


def test_a_request_is_counted_and_logged_before_its_answer_is_complete(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen_at_last_part: list[tuple[float, bool]] = []
    finish_after_answer = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done", "more_body": False})
        await finish_after_answer.wait()  # work after the answer, as a background task does

    async def server_send(message: Any) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            logged = any(PATH in record.getMessage() for record in caplog.records)
            seen_at_last_part.append((_count("200"), logged))
            finish_after_answer.set()

    async def receive() -> Any:
        return {"type": "http.disconnect"}

    before = _count("200")
    with caplog.at_level(logging.INFO, logger="shotlog.request"):
        asyncio.run(RequestLog(app)(_scope(), receive, server_send))
    assert seen_at_last_part == [(before + 1, True)]
    assert _count("200") == before + 1  # counted once, not again when the application returned


def test_a_request_without_a_complete_answer_is_counted_when_the_application_ends() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"part", "more_body": True})
        raise ConnectionResetError("the client went away")

    async def server_send(message: Any) -> None:
        pass

    async def receive() -> Any:
        return {"type": "http.disconnect"}

    before = _count("200")
    with pytest.raises(ConnectionResetError):
        asyncio.run(RequestLog(app)(_scope(), receive, server_send))
    assert _count("200") == before + 1
