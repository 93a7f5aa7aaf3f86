"""How the platform is served: the one place that .ci/serve, the benchmarks and the serving test read.

    python -m lms.serving [--host 127.0.0.1] [--port 5000] [--workers 2]

Granian (a Rust HTTP server) owns the sockets: an idle connection or one that sends its headers a byte at a
time costs an async task, not a thread, and headers must arrive within HEADER_TIMEOUT_MS. The Flask app
runs behind BufferedWSGI: the whole request body is read on the event loop (within BODY_TIMEOUT s, at most
the app's MAX_CONTENT_LENGTH) before one of THREADS threads runs the app, so a slow upload holds no thread
either. Bodies held meanwhile are bounded per worker: up to SPOOL bytes each in memory, larger ones in a
temporary file, within MEMORY_BUDGET and DISK_BUDGET in all (503 past them). docs/operations.md says why
this and not gunicorn's sync, gthread or gevent workers, and why these limits.
"""
from __future__ import annotations

import argparse
import asyncio
import io
import os
import math
import resource
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Awaitable, Callable

BIN = Path(sys.executable).parent  # the virtualenv's bin/, where the server's command lives
TARGET = "lms.serving:asgi_app"
THREADS = 2  # app threads per worker process. A thread never waits for a client here, so more only add
# contention for the GIL: 8 cost ~0.4-0.7 ms more server CPU per page than 2 (docs/performance.md).
HEADER_TIMEOUT_MS = 10_000  # a request's headers must arrive within 10 s, or the connection is closed
BODY_TIMEOUT = 15.0  # seconds for a request body to arrive in full, or 408 (a form is a few KB)
MAX_BODY = 1024 * 1024  # bytes, when the app sets no MAX_CONTENT_LENGTH (lms/config.py sets 1 MiB)
SPOOL = 64 * 1024  # bytes of one request body held in memory; a larger body goes to a temporary file
MEMORY_BUDGET = 32 * 1024 * 1024  # bytes of request bodies one worker holds in memory at once, or 503
DISK_BUDGET = 256 * 1024 * 1024  # bytes of request bodies one worker holds in temporary files at once, or 503
HTTP1_BUFFER = 16 * 1024  # bytes granian buffers per connection, a request's headers included. Its default,
# 408 KiB, fills whenever a client sends a body faster than it is read: ~0.45 MiB RSS per held connection
# measured with 64 KiB, ~0.12 MiB with 16 KiB (docs/operations.md)
CONNECTIONS = 2_048  # open connections per worker process (granian's default is 512): idle ones are cheap
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
            "--http1-header-read-timeout", str(HEADER_TIMEOUT_MS),
            "--http1-buffer-size", str(HTTP1_BUFFER), "--backlog", str(BACKLOG),
            "--backpressure", str(CONNECTIONS), "--log-level", "warning", target]


async def _plain(send: Send, status: int, text: bytes, *extra: tuple[bytes, bytes]) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(text)).encode()), (b"connection", b"close"),
                            *extra]})
    await send({"type": "http.response.body", "body": text})


def _declared_length(scope: Scope) -> int:
    """The request's Content-Length, 0 when it has none (its body is then counted as it comes)."""
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0


class _Busy(Exception):
    """Holding this body would take the worker past its memory or disk budget for bodies."""


class BufferedWSGI:
    """An ASGI app that serves a WSGI app: it reads each request's whole body on the event loop (413 past
    `max_body` bytes, 408 when it is not complete within `timeout` seconds, 400 when the server could not
    read it or the client left), holding up to `spool` bytes of it in memory and a larger one in a
    temporary file; all bodies held at once by this worker stay within `memory_budget` bytes in memory and
    `disk_budget` bytes on disk, and a request that would exceed either gets 503 with Retry-After at
    once (the bytes are counted as they arrive, so a client cannot reserve budget by announcing a length
    it never sends). It runs the WSGI app for it in one
    of `threads` threads, which collects the whole response, and sends that from the event loop. A thread
    is therefore only ever busy with the app's own work, never waiting for a client. (a2wsgi builds the
    environ; its own WSGIMiddleware hands each chunk across threads, which measured ~0.45 ms more per
    request.) Responses are held whole in memory: every page and file of this app is small."""

    def __init__(self, app: Any, threads: int = THREADS, max_body: int = MAX_BODY,
                 timeout: float = BODY_TIMEOUT, spool: int = SPOOL, memory_budget: int = MEMORY_BUDGET,
                 disk_budget: int = DISK_BUDGET) -> None:
        self.app = app
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="wsgi")
        self.max_body = max_body
        self.timeout = timeout
        self.spool = spool
        self.memory_budget = memory_budget
        self.disk_budget = disk_budget
        self.in_memory = 0  # bytes of request bodies this worker holds now in memory (only the event
        self.on_disk = 0  # loop's thread changes these two) and in temporary files

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
        body = tempfile.SpooledTemporaryFile(max_size=self.spool)
        share = [0, 0]  # bytes of this body counted in self.in_memory and in self.on_disk
        try:
            try:
                complete = await asyncio.wait_for(self._read_body(receive, body, share), self.timeout)
            except OverflowError:
                return await _plain(send, 413, b"Request body too large\n")
            except _Busy:
                return await _plain(send, 503, b"Server busy, please try again shortly\n",
                                    (b"retry-after", str(math.ceil(self.timeout)).encode()))
            except asyncio.TimeoutError:
                return await _plain(send, 408, b"Request body not received in time\n")
            if not complete:  # a malformed body (granian reports it as a disconnect) or the client left:
                return await _plain(send, 400, b"Bad request body\n")  # sent into the void if it left
            body.seek(0)
            from a2wsgi.wsgi import build_environ

            environ = build_environ(scope, body)  # type: ignore[arg-type]
            environ["wsgi.errors"] = sys.stderr
            loop = asyncio.get_running_loop()
            status, headers, content = await loop.run_in_executor(self.pool, self._run, environ)
        finally:
            self.in_memory -= share[0]
            self.on_disk -= share[1]
            body.close()
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    async def _read_body(self, receive: Receive, body: Any, share: list[int]) -> bool:
        """Write the request's body into `body` and count it in `share` and the worker's totals; False when
        the server reports a disconnect before the end."""
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return False
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise OverflowError
            if size > self.spool:  # the file rolls over to disk with this write: all of it is there
                if self.on_disk - share[1] + size > self.disk_budget:
                    raise _Busy
                self.on_disk += size - share[1]
                self.in_memory -= share[0]
                share[:] = [0, size]
            else:
                if self.in_memory + len(chunk) > self.memory_budget:
                    raise _Busy
                self.in_memory += len(chunk)
                share[0] = size
            body.write(chunk)
            if not message.get("more_body", False):
                return True

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
    if os.environ.get("LMS_METRICS_TOKEN") and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # /metrics is on: the worker processes write their counters to one fresh folder, summed at each scrape
        import tempfile

        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="lms-metrics-")
    argv_ = command(args.host, args.port, args.workers)
    os.execv(argv_[0], argv_)


if __name__ == "__main__":
    main()
