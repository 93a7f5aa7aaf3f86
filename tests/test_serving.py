"""The server that `.ci/serve` starts (lms/serving.py), started the same way on a loopback port with the demo
content in a temporary instance: idle and slow clients must not take it down. A ward server on the internet
must still answer a learner while hundreds of sockets are open that send nothing, or send a request a byte
at a time."""
from __future__ import annotations

import asyncio
import http.client
import os
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import pytest

from lms import serving

REPO = Path(__file__).resolve().parent.parent
IDLE = 200  # connections that send nothing at all
SLOW_HEADERS = 40  # connections that send a request line and then one header byte now and then
SLOW_BODIES = 40  # connections that announce a body and trickle it: more than any server here has threads
LEARNER_PAGES = ("/healthz", "/courses", "/courses/nhan-dien-lua-dao/",
                 "/courses/nhan-dien-lua-dao/chieu-lua-thuong-gap")
BOUND = 1.0  # seconds: a generous bound for a page on a loopback port
SERVER: dict[str, int] = {}  # the served server's process id, set by the fixture


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str, timeout: float = 10.0) -> tuple[int, float]:
    """GET `path` on a fresh connection: (status, seconds until the whole body was read)."""
    began = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        reply = conn.getresponse()
        reply.read()
        return reply.status, time.monotonic() - began
    finally:
        conn.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """Migrations and the demo import through the real `lms` command, then the server of lms/serving.py
    with 2 workers; stopped (and killed if it must be) afterwards."""
    instance = tmp_path_factory.mktemp("served")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LMS_", "GUNICORN_", "GRANIAN_"))}
    port = free_port()
    # Demo mode with its public URL on the served port, as `.ci/serve` sets them.
    env.update(LMS_MODE="demo", LMS_PUBLIC_URL=f"http://127.0.0.1:{port}",
               LMS_INSTANCE_PATH=str(instance), LMS_DATABASE_URL=f"sqlite:///{instance / 'lms.db'}",
               LMS_CONTENT_DIR=str(REPO),
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    for args in (["db", "upgrade"], ["import"]):
        done = subprocess.run([str(serving.BIN / "lms"), *args], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=180)
        assert done.returncode == 0, done.stdout + done.stderr
    log = instance / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(serving.command("127.0.0.1", port, workers=2), cwd=REPO, env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
    SERVER["pid"] = server.pid
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text(errors="replace")
            try:
                if get(port, "/healthz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the server did not answer /healthz within 60 s"
            time.sleep(0.2)
        yield port, log
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


class Attackers:
    """Idle sockets, slow-header sockets and slow-body sockets, kept slow by a background thread until
    closed."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sockets: list[socket.socket] = []
        self.slow: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)

    def _open(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        self.sockets.append(sock)
        return sock

    def open(self) -> None:
        for _ in range(IDLE):
            self._open()
        for _ in range(SLOW_HEADERS):
            self._open().sendall(b"GET /courses HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        for _ in range(SLOW_BODIES):
            self._open().sendall(b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                 b"Content-Type: application/x-www-form-urlencoded\r\n"
                                 b"Content-Length: 10000\r\n\r\nlogin=")
        self.slow = self.sockets[IDLE:]
        self.thread.start()

    def _trickle(self) -> None:
        while not self.stop.wait(0.5):
            for sock in self.slow:
                try:
                    sock.send(b"a")
                except OSError:
                    pass  # the server closed it: that is allowed

    def close(self) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()


def test_learner_pages_answer_while_idle_and_slow_clients_hold_connections(
        served: tuple[int, Path]) -> None:
    """200 idle connections, 40 that send their headers a byte at a time and 40 that trickle a body are
    open; the health check and a learner's pages (catalog, course, lesson) each answer within a second, at
    once and again a few seconds later; afterwards the server still answers and has logged no traceback."""
    port, log = served
    attackers = Attackers(port)
    try:
        attackers.open()
        time.sleep(0.5)  # let the server accept them all
        for round_ in (1, 2):
            for path in LEARNER_PAGES:
                try:
                    status, seconds = get(port, path, timeout=5)
                except OSError as exc:
                    pytest.fail(f"round {round_}: GET {path} got no answer within 5 s ({exc!r}) with "
                                f"{len(attackers.sockets)} idle or slow connections open")
                assert status == 200, f"GET {path}: HTTP {status}"
                assert seconds < BOUND, f"round {round_}: GET {path} took {seconds:.2f} s"
            if round_ == 1:
                time.sleep(6)  # past any few-second grace a server gives a connection before parking it
    finally:
        attackers.close()
    assert get(port, "/healthz")[0] == 200
    assert "Traceback" not in log.read_text(errors="replace")


def _call(app: serving.BufferedWSGI, scope: dict, receive) -> list[dict]:  # type: ignore[type-arg]
    """Run the ASGI app `app` for one HTTP request in an event loop of its own thread (the browser tests
    leave one running in this thread); the messages it sent."""
    sent: list[dict] = []  # type: ignore[type-arg]

    async def send(message: dict) -> None:  # type: ignore[type-arg]
        sent.append(message)

    with ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(app(scope, receive, send))).result(timeout=30)
    return sent


def _scope(headers: list[tuple[bytes, bytes]]) -> dict:  # type: ignore[type-arg]
    return {"type": "http", "http_version": "1.1", "method": "POST", "path": "/login", "root_path": "",
            "query_string": b"", "scheme": "http", "server": ("127.0.0.1", 5000),
            "client": ("127.0.0.1", 40000), "headers": headers}


def _echo(environ: dict, start_response) -> list[bytes]:  # type: ignore[type-arg]
    """A plain WSGI app: the body it was given, and the environ values a Flask app relies on."""
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Remote", environ["REMOTE_ADDR"])])
    return [environ["REQUEST_METHOD"].encode(), b" ", environ["PATH_INFO"].encode(), b" ", body]


def test_the_buffer_hands_the_whole_body_to_the_app_in_a_thread() -> None:
    """A body sent in three parts reaches the WSGI app whole; the response comes back whole."""
    parts = iter([b"login=", b"an", b"&x=1"])

    async def receive() -> dict:  # type: ignore[type-arg]
        chunk = next(parts)
        return {"type": "http.request", "body": chunk, "more_body": chunk != b"&x=1"}

    sent = _call(serving.BufferedWSGI(_echo), _scope([(b"content-length", b"12")]), receive)
    assert sent[0]["status"] == 200 and (b"x-remote", b"127.0.0.1") in sent[0]["headers"]
    assert sent[1]["body"] == b"POST /login login=an&x=1"


def test_a_body_too_large_or_too_slow_never_reaches_the_app() -> None:
    """Past max_body bytes: 413, whether announced or sent; not complete within the timeout: 408."""
    app = serving.BufferedWSGI(_echo, max_body=10, timeout=0.3)

    async def big() -> dict:  # type: ignore[type-arg]
        return {"type": "http.request", "body": b"x" * 8, "more_body": True}

    assert _call(app, _scope([(b"content-length", b"11")]), big)[0]["status"] == 413
    assert _call(app, _scope([]), big)[0]["status"] == 413  # chunked, no length: counted as it comes

    async def stalled() -> dict:  # type: ignore[type-arg]
        await asyncio.sleep(5)
        return {"type": "http.request", "body": b"", "more_body": False}

    began = time.monotonic()
    assert _call(app, _scope([(b"content-length", b"5")]), stalled)[0]["status"] == 408
    assert time.monotonic() - began < 2


def _status_of_raw(port: int, raw: bytes) -> bytes:
    """Send `raw` on a fresh connection and return the status line of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        answer = b""
        while b"\r\n" not in answer:
            data = sock.recv(4096)
            if not data:
                break
            answer += data
    return answer.split(b"\r\n", 1)[0]


@pytest.mark.parametrize("chunk", [b"zz\r\nabc", b"fffffffffffffffff\r\nabc"])
def test_a_malformed_chunked_body_gets_400_not_500(served: tuple[int, Path], chunk: bytes) -> None:
    """A chunked body whose chunk size is not hex, or does not fit 64 bits, is the client's fault: 400."""
    port, log = served
    status = _status_of_raw(port, b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  b"Content-Type: application/x-www-form-urlencoded\r\n"
                                  b"Transfer-Encoding: chunked\r\n\r\n" + chunk)
    assert status.startswith(b"HTTP/1.1 400"), status
    assert get(port, "/healthz")[0] == 200
    assert "Traceback" not in log.read_text(errors="replace")


def test_a_body_left_incomplete_gets_400() -> None:
    """The server reports a body it could not read (or a client that left) as http.disconnect: the
    adapter answers 400 (sent into the void when the client has really gone) and the app never runs."""
    async def broken() -> dict:  # type: ignore[type-arg]
        return {"type": "http.disconnect"}

    sent = _call(serving.BufferedWSGI(_echo), _scope([(b"transfer-encoding", b"chunked")]), broken)
    assert [m.get("status") for m in sent if m["type"] == "http.response.start"] == [400]


def test_held_bodies_stay_within_the_workers_budgets_and_are_released() -> None:
    """Bodies up to `spool` bytes are held in memory, larger ones in a temporary file; a request whose
    body would take the worker past its memory or its disk budget gets 503 with Retry-After at once,
    while the ones already held go on; every byte is accounted back to 0 once the requests are done,
    whichever way they end."""
    app = serving.BufferedWSGI(_echo, max_body=100, spool=10, memory_budget=30, disk_budget=100)
    gate = None

    def sender(*parts: bytes):  # type: ignore[no-untyped-def]
        """A receive that sends `parts`, then waits at the gate before the end of the body."""
        queue = list(parts)

        async def receive() -> dict:  # type: ignore[type-arg]
            if queue:
                return {"type": "http.request", "body": queue.pop(0), "more_body": True}
            await gate.wait()
            return {"type": "http.request", "body": b"!", "more_body": False}
        return receive

    Sent = list[list[dict]]  # type: ignore[type-arg]  # the messages sent for each request

    async def scenario() -> tuple[Sent, tuple[int, int], Sent]:
        nonlocal gate
        gate = asyncio.Event()
        held = [(b"a" * 8,), (b"b" * 8,), (b"c" * 4, b"c" * 4), (b"d" * 30, b"d" * 30)]
        refused = [(b"e" * 8,), (b"f" * 30, b"f" * 20)]  # memory 24 + 8 > 30; disk 60 + 50 > 100
        sent: list[list[dict]] = [[] for _ in held + refused]  # type: ignore[type-arg]

        def call(i: int, parts: tuple[bytes, ...]) -> asyncio.Task:  # type: ignore[type-arg]
            async def send(message: dict) -> None:  # type: ignore[type-arg]
                sent[i].append(message)
            return asyncio.create_task(app(_scope([]), sender(*parts), send))

        tasks = [call(i, parts) for i, parts in enumerate(held)]
        await asyncio.sleep(0.05)
        tasks += [call(len(held) + i, parts) for i, parts in enumerate(refused)]
        await asyncio.wait_for(asyncio.gather(*tasks[len(held):]), 5)  # refused without waiting
        during = (app.in_memory, app.on_disk)
        refused_sent = [list(s) for s in sent[len(held):]]
        gate.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 5)
        return sent[:len(held)], during, refused_sent

    with ThreadPoolExecutor(1) as pool:
        done, during, refused = pool.submit(lambda: asyncio.run(scenario())).result(timeout=30)
    assert during == (24, 60)
    for messages in refused:
        assert messages[0]["status"] == 503
        assert any(name == b"retry-after" for name, _ in messages[0]["headers"])
    assert [m[0]["status"] for m in done] == [200, 200, 200, 200]
    assert done[3][1]["body"] == b"POST /login " + b"d" * 60 + b"!"
    assert (app.in_memory, app.on_disk) == (0, 0)

    async def big() -> dict:  # type: ignore[type-arg]
        return {"type": "http.request", "body": b"x" * 60, "more_body": True}

    async def gone() -> dict:  # type: ignore[type-arg]
        return {"type": "http.disconnect"}

    assert _call(app, _scope([]), big)[0]["status"] == 413  # past max_body after spooling to disk
    assert _call(app, _scope([]), gone)[0]["status"] == 400
    assert (app.in_memory, app.on_disk) == (0, 0)


def _workers_rss() -> int:
    """Bytes of resident memory of the served server's worker processes, together."""
    pids = subprocess.run(["ps", "--ppid", str(SERVER["pid"]), "-o", "pid="], capture_output=True, text=True,
                          check=True).stdout.split()
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


HELD = 150  # connections that send all but 200 bytes of a 1 MiB body, then wait


def test_bodies_held_by_many_connections_cost_the_workers_little_memory(served: tuple[int, Path]) -> None:
    """150 connections each send all but 200 bytes of a 1 MiB body and wait: the workers' resident memory
    grows by less than 40 MB in all (it grew by ~1.5 MB per connection when bodies were held in memory
    and granian buffered up to 408 KiB per connection), and the server still answers."""
    port, log = served
    before = _workers_rss()
    head = (b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 1048576\r\n\r\n")
    body = b"a" * (1024 * 1024 - 200)
    sockets = []
    try:
        for _ in range(HELD):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sockets.append(sock)
            try:
                sock.sendall(head + body)
            except OSError:
                pass  # refused with 503 (a worker's budget is full) and closed: allowed
        time.sleep(1.5)
        grown = _workers_rss() - before
        assert get(port, "/healthz")[0] == 200
    finally:
        for sock in sockets:
            sock.close()
    assert grown < 40 * 1024 * 1024, f"the workers grew by {grown / 2**20:.0f} MiB"
    assert "Traceback" not in log.read_text(errors="replace")


def test_the_benchmark_baseline_is_served_by_the_same_command() -> None:
    """bench/run.py's baseline is a separate minimal Flask app served by the platform's own server command:
    the same flags, workers and adapter; only the factory differs."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bare_app", REPO / "bench" / "bare_app.py")
    assert spec is not None and spec.loader is not None
    bare_app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bare_app)
    platform_cmd = serving.command("127.0.0.1", 8000, 2)
    bare_cmd = serving.command("127.0.0.1", 8000, 2, target="bare_app:asgi_app")
    assert platform_cmd[-1] == serving.TARGET and bare_cmd[-1] == "bare_app:asgi_app"
    assert platform_cmd[:-1] == bare_cmd[:-1]
    assert isinstance(bare_app.asgi_app(), serving.BufferedWSGI)
    reply = bare_app.create_app().test_client().get("/")
    assert (reply.status_code, reply.get_data(as_text=True)) == (200, "ok")
