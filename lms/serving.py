"""How the platform is served: the one place that .ci/serve, the benchmarks and the serving test read.

    python -m lms.serving [--host 127.0.0.1] [--port 5000] [--workers 2]

Granian (a Rust HTTP server) owns the sockets: an idle connection or one that sends its headers a byte at a
time costs an async task, not a thread, and headers must arrive within HEADER_TIMEOUT_MS. The Flask app
runs behind BufferedWSGI: the whole request body is read on the event loop (within BODY_TIMEOUT s, at most
the app's MAX_CONTENT_LENGTH) before one of THREADS threads runs the app, so a slow upload holds no thread
either. docs/operations.md says why this and not gunicorn's sync, gthread or gevent workers.
"""
from __future__ import annotations

import argparse
import asyncio
import io
import os
import resource
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Awaitable, Callable

BIN = Path(sys.executable).parent  # the virtualenv's bin/, where the server's command lives
TARGET = "lms.serving:asgi_app"
THREADS = 2  # app threads per worker process. A thread never waits for a client here, so more only add
# contention for the GIL: 8 cost ~0.4-0.7 ms more server CPU per page than 2 (docs/performance.md).
HEADER_TIMEOUT_MS = 10_000  # a request's headers must arrive within 10 s, or the connection is closed
BODY_TIMEOUT = 30.0  # seconds for a request body to arrive in full, or 408
MAX_BODY = 1024 * 1024  # bytes, when the app sets no MAX_CONTENT_LENGTH (lms/config.py sets 1 MiB)
CONNECTIONS = 10_000  # open connections per worker process (granian's default is 512): idle ones are cheap
BACKLOG = 4096  # connections the kernel queues before the server accepts them

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def command(host: str, port: int, workers: int = 2, target: str = TARGET) -> list[str]:
    """The server's command line for `workers` processes listening on host:port, serving the factory `target`
    (the benchmark serves its bare baseline app, bench/bare_app.py, with exactly the same command)."""
    return [str(BIN / "granian"), "--interface", "asgi", "--factory", "--host", host, "--port", str(port),
            "--workers", str(workers), "--http", "1", "--no-ws", "--loop", "asyncio",
            "--http1-header-read-timeout", str(HEADER_TIMEOUT_MS), "--backlog", str(BACKLOG),
            "--backpressure", str(CONNECTIONS), "--log-level", "warning", target]


async def _plain(send: Send, status: int, text: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(text)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": text})


def _declared_length(scope: Scope) -> int:
    """The request's Content-Length, 0 when it has none (its body is then counted as it comes)."""
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0


class BufferedWSGI:
    """An ASGI app that serves a WSGI app: it reads each request's whole body on the event loop (413 past
    `max_body` bytes, 408 when it is not complete within `timeout` seconds), runs the WSGI app for it in one
    of `threads` threads, which collects the whole response, and sends that from the event loop. A thread
    is therefore only ever busy with the app's own work, never waiting for a client. (a2wsgi builds the
    environ; its own WSGIMiddleware hands each chunk across threads, which measured ~0.45 ms more per
    request.) Responses are held whole in memory: every page and file of this app is small."""

    def __init__(self, app: Any, threads: int = THREADS, max_body: int = MAX_BODY,
                 timeout: float = BODY_TIMEOUT) -> None:
        self.app = app
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="wsgi")
        self.max_body = max_body
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            self.pool.shutdown(wait=True)
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return  # no websockets (the server runs with --no-ws)
        if _declared_length(scope) > self.max_body:
            return await _plain(send, 413, b"Request body too large\n")
        try:
            body = await asyncio.wait_for(self._read_body(receive), self.timeout)
        except OverflowError:
            return await _plain(send, 413, b"Request body too large\n")
        except asyncio.TimeoutError:
            return await _plain(send, 408, b"Request body not received in time\n")
        if body is None:
            return  # the client left before its request was complete
        from a2wsgi.wsgi import build_environ

        environ = build_environ(scope, io.BytesIO(body))  # type: ignore[arg-type]
        environ["wsgi.errors"] = sys.stderr
        loop = asyncio.get_running_loop()
        status, headers, content = await loop.run_in_executor(self.pool, self._run, environ)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    async def _read_body(self, receive: Receive) -> bytes | None:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise OverflowError
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _run(self, environ: dict[str, Any]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """In a pool thread: call the WSGI app and collect its whole response."""
        started: list[Any] = []
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if exc_info is not None and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [status, headers]
            return chunks.append

        result = self.app(environ, start_response)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = started
        return (int(status.split(" ", 1)[0]),
                [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers],
                b"".join(chunks))


def asgi_app() -> BufferedWSGI:
    """Granian's factory (called once in each worker process): the Flask app behind BufferedWSGI."""
    from lms import create_app

    app = create_app()
    return BufferedWSGI(app, max_body=app.config.get("MAX_CONTENT_LENGTH") or MAX_BODY)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lms.serving", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # often 1024: too few for CONNECTIONS
    wanted = 2 * CONNECTIONS if hard == resource.RLIM_INFINITY else min(hard, 2 * CONNECTIONS)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    argv_ = command(args.host, args.port, args.workers)
    os.execv(argv_[0], argv_)


if __name__ == "__main__":
    main()
