"""The ASGI layer in front of the HTTP APIs: API key, body limit, admission control and uniform JSON errors.

BentoML APIs answer POST only; the `readable` paths (`/info`) also answer GET, for browsers and monitoring,
by passing the request on as a POST with an empty JSON object for its body.

Every error leaves the service as ``{"error": {"status", "type", "message"[, "detail"]}}``, whatever
raised it: a validation error in an API, BentoML itself, or Starlette's router (404, 405). Overload and a
restarting model worker answer 503 with ``Retry-After``. A client error is logged as one line at INFO;
only server faults keep BentoML's traceback.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable

# Under "bentoml" so the lines go through the handlers and format `bentoml serve` configures in each worker.
logger = logging.getLogger("bentoml.stanceframe.gateway")

Scope = dict
Message = dict
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

ERROR_TYPES = {
    400: "invalid_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    422: "invalid_request",
    429: "overloaded",
    500: "internal_error",
    503: "unavailable",
    504: "timeout",
}
# Health probes stay open and are never refused for load: an orchestrator must always reach them.
OPEN_PATHS = frozenset({"/livez", "/readyz", "/healthz", "/metrics"})


class Gateway:
    """Pure ASGI middleware; `protected` paths need the key, `admitted` paths count against the queue bound,
    `readable` paths also answer GET."""

    def __init__(
        self,
        app,
        *,
        api_key: str | None,
        max_body_bytes: int,
        max_concurrency: int,
        retry_after_s: int,
        protected: frozenset[str],
        admitted: frozenset[str],
        readable: frozenset[str] = frozenset(),
    ):
        self.app = app
        self.api_key = api_key
        self.max_body_bytes = max_body_bytes
        self.max_concurrency = max_concurrency
        self.retry_after_s = retry_after_s
        self.protected = protected
        self.admitted = admitted
        self.readable = readable
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            return await self.app(scope, receive, send)
        request = RequestState()
        send = self._json_errors(scope, send, request)
        receive = self._bounded(receive, request)
        path = scope["path"]
        if self.api_key and path in self.protected and not self._authorised(scope):
            return await respond(send, 401, "send the service's API key as 'Authorization: Bearer <key>'")
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            return await respond(send, 413, self._too_large_message())
        if scope["method"] == "GET" and path in self.readable:
            scope, receive = _as_empty_post(scope, receive)
        if path not in self.admitted:
            return await self.app(scope, receive, send)
        if self.in_flight >= self.max_concurrency:
            return await respond(
                send, 503, f"the service is at its limit of {self.max_concurrency} requests in flight; retry shortly"
            )
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    def _authorised(self, scope: Scope) -> bool:
        given = _header(scope, b"authorization") or ""
        scheme, _, token = given.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), self.api_key.encode())

    def _too_large_message(self) -> str:
        return f"the request body is over the service's limit of {self.max_body_bytes} bytes"

    def _bounded(self, receive: Receive, request: RequestState) -> Receive:
        """Stop reading a body (sent without Content-Length) once it passes the limit.

        The app is told the client went away, and whatever it answers becomes the 413.
        """
        seen = 0

        async def bounded_receive() -> Message:
            nonlocal seen
            if request.too_large:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    request.too_large = True
                    return {"type": "http.disconnect"}
            return message

        return bounded_receive

    def _json_errors(self, scope: Scope, send: Send, request: RequestState) -> Send:
        """Rewrite every error response into the one JSON shape, and log it as one line."""
        held: dict = {}

        async def json_send(message: Message) -> None:
            if message["type"] == "http.response.start" and request.too_large:
                message = {**message, "status": 413}
                held["override"] = self._too_large_message()
            if message["type"] == "http.response.start" and message["status"] >= 400:
                held["start"], held["body"] = message, b""
                return
            if "start" not in held or message["type"] != "http.response.body":
                return await send(message)
            held["body"] += message.get("body", b"")
            if message.get("more_body"):
                return
            status = held["start"]["status"]
            error = error_body(status, held["body"])
            if "override" in held:
                error["error"]["message"] = held["override"]
            _log(scope, error["error"])
            await _send_json(send, status, error, self.retry_after_s)

        return json_send


class RequestState:
    """What the gateway learns about one request while it runs."""

    too_large = False


def error_body(status: int, original: bytes) -> dict:
    """The uniform error object, keeping the original message and any validation detail."""
    message, detail = _original_message(original)
    error = {"status": status, "type": ERROR_TYPES.get(status, "error"), "message": message}
    if status == 503 and message.startswith("An unexpected error"):  # BentoML hides the reason of every 5xx
        error["message"] = "the model worker is unavailable (restarting); retry shortly"
    elif status >= 500 and status != 503:
        error["message"] = "an unexpected error happened in the service; it is in the server log"
    if detail:
        error["detail"] = detail
        error["message"] = "; ".join(_describe(item) for item in detail)
    return {"error": error}


def _original_message(body: bytes) -> tuple[str, list | None]:
    text = body.decode("utf-8", "replace").strip()
    try:
        value = json.loads(text)
    except ValueError:
        return text or "error", None
    if isinstance(value, list) and value:  # BentoML wraps some 4xx bodies in a one-item list
        value = value[0]
    if isinstance(value, dict):
        inner = value.get("error")
        if isinstance(inner, dict):
            return str(inner.get("message", "error")), inner.get("detail")
        return str(inner or value.get("detail") or text), value.get("detail") if "error" in value else None
    return text, None


def _describe(item) -> str:
    if not isinstance(item, dict):
        return str(item)
    where = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
    return f"{where}: {item.get('msg', 'invalid')}" if where else str(item.get("msg", "invalid"))


async def respond(send: Send, status: int, message: str) -> None:
    """Answer with an error from the gateway itself; the JSON-error `send` gives it the one shape."""
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": message.encode()})


async def _send_json(send: Send, status: int, error: dict, retry_after_s: int) -> None:
    body = json.dumps(error).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status in (429, 503):
        headers.append((b"retry-after", str(retry_after_s).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _as_empty_post(scope: Scope, receive: Receive) -> tuple[Scope, Receive]:
    """The same request as a POST whose body is `{}`; any body the GET carried is read and dropped."""
    dropped = (b"content-length", b"content-type", b"transfer-encoding")
    headers = [(k, v) for k, v in scope.get("headers", ()) if k.lower() not in dropped]
    headers += [(b"content-type", b"application/json"), (b"content-length", b"2")]
    sent = False

    async def empty_json() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"{}", "more_body": False}
        while (message := await receive())["type"] != "http.disconnect":
            pass
        return message

    return {**scope, "method": "POST", "headers": headers}, empty_json


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _log(scope: Scope, error: dict) -> None:
    level = logging.INFO if error["status"] < 500 else logging.WARNING
    logger.log(
        level, "%s %s -> %d %s: %s", scope["method"], scope["path"], error["status"], error["type"], error["message"]
    )


class ExpectedErrorTracebacks(logging.Filter):
    """Drop BentoML's ERROR-with-traceback record for client errors and for a restarting model worker.

    The gateway logs each of those as one line; tracebacks stay for real server faults.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.exc_info:
            return True
        error = record.exc_info[1]
        code = getattr(getattr(error, "error_code", None), "value", None)
        expected = type(error).__name__ in ("ValidationError", "ClientDisconnect")
        return not (expected or (isinstance(code, int) and (code < 500 or code == 503)))


def install_log_filter() -> None:
    """Attach `ExpectedErrorTracebacks` to the logger BentoML reports API exceptions on."""
    logging.getLogger("bentoml._internal.server.http_app").addFilter(ExpectedErrorTracebacks())
