"""Issue 9, section 2: rate limits and login throttling hold for a cluster, not per server. Two app instances
(two "servers": separate processes would share nothing more than these do) over one database count login
attempts in one real Redis (Debian's redis-server, started here on a free port, removed afterwards), so an
attacker who spreads guesses over both servers meets the same limit; with the default per-process storage
each server would count alone (the control below), which is what the shared storage fixes."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest
from flask import Flask

from tests.web.cluster import Server

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway redis-server on 127.0.0.1 (no persistence), for this module."""
    if not Path(REDIS_SERVER).exists():
        pytest.fail("redis-server is missing: the test command installs Debian's redis-server (.ci/test)")
    port = _free_port()
    folder = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(folder)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def servers(app: Flask, tmp_path: Path) -> Iterator[Callable[[str], tuple[Server, Server]]]:
    started: list[Server] = []

    def start(storage: str) -> tuple[Server, Server]:
        limits = dict(RATELIMIT_STORAGE_URI=storage, LOGIN_RATE_LIMIT_CLIENT="3 per minute",
                      LOGIN_RATE_LIMIT_ACCOUNT="100 per minute", LOGIN_RATE_LIMIT_CLIENT_ALL="100 per minute")
        pair = (Server(app, "one", tmp_path, **limits), Server(app, "two", tmp_path, **limits))
        started.extend(pair)
        return pair
    yield start
    for server in started:
        server.stop()


def test_the_login_limit_holds_for_two_servers_sharing_redis(servers: Callable[[str], tuple[Server, Server]],
                                                             redis_url: str) -> None:
    """Guesses spread over two servers: the fourth one is refused, whichever server it reaches."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    one, two = servers(redis_url)
    codes = [server.wrong_login("198.51.100.7", f"khach{i}@example.vn") for i, server in enumerate((one, two, one))]
    assert codes == [200, 200, 200]
    assert two.wrong_login("198.51.100.7", "khach4@example.vn") == 429
    assert one.wrong_login("198.51.100.7", "khach5@example.vn") == 429
    assert two.wrong_login("198.51.100.8", "khach6@example.vn") == 200  # another client: its own count
    assert redis.Redis.from_url(redis_url).dbsize() > 0  # the counts are in Redis


def test_per_process_storage_counts_each_server_alone(servers: Callable[[str], tuple[Server, Server]]) -> None:
    """The control: with the default storage ("memory://") the same spread of guesses gets twice the limit,
    which is why a cluster must set LMS_RATELIMIT_STORAGE_URI (docs/security.md)."""
    one, two = servers("memory://")
    codes = [server.wrong_login("198.51.100.9", f"khach{i}@example.vn")
             for i, server in enumerate((one, two, one, two, one, two))]
    assert codes == [200] * 6
    assert one.wrong_login("198.51.100.9", "khach7@example.vn") == 429  # each alone reaches its own 3
