"""The default deployment: the platform served over real HTTP on a loopback port, its embedded stub reached
in-process for the back-channel calls while the browser (an HTTP client with cookies) walks the pages."""
from __future__ import annotations

import re
import threading
from typing import Iterator

import httpx2
import pytest
from flask import Flask
from sqlalchemy import Engine
from werkzeug.serving import BaseWSGIServer, make_server

from tests.web.identity import A, user_row

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
VERIFY_LINK = re.compile(r'<a class="button" href="(/auth/vneid/verify)">')


@pytest.fixture
def base_url(vneid_app: Flask) -> Iterator[str]:
    server: BaseWSGIServer = make_server("127.0.0.1", 0, vneid_app, threaded=True)
    vneid_app.config["PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def token(page: httpx2.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text[:300]
    return found.group(1)


def test_verification_on_a_served_platform(base_url: str, clean_db: Engine) -> None:
    """Register, follow "Xác thực bằng VNeID", log in and consent at the stub, come back verified; the
    redirect URI carries the server's port and the issuer is the server's own address."""
    with httpx2.Client(base_url=base_url, timeout=10) as browser:
        form = token(browser.get("/register"))
        registered = browser.post("/register", data={
            "full_name": "Nguyễn Văn An", "email": "an@example.vn", "phone": "",
            "password": "mat-khau-dai-123", "confirm": "mat-khau-dai-123", "target_group": "3", "province": "01",
            "commune": "00070", "csrf_token": form})
        assert registered.status_code == 302
        link = VERIFY_LINK.search(browser.get("/profile").text)
        assert link
        authorize = browser.get(link.group(1)).headers["Location"]
        assert authorize.startswith(f"{base_url}/vneid/authorize?")
        login_token = token(browser.get(authorize))
        logged_in = browser.post(authorize, data={"id_number": A.id_number, "passcode": A.passcode,
                                                  "login": "Đăng nhập", "csrf_token": login_token})
        assert logged_in.status_code == 303
        decided = browser.post(authorize, data={"allow": "x", "csrf_token": token(browser.get(authorize))})
        callback = decided.headers["Location"]
        assert callback.startswith(f"{base_url}/auth/vneid/callback?")
        done = browser.get(callback)
        assert done.status_code == 302 and done.headers["Location"] == "/profile"
        assert "********" + A.id_number[-4:] in browser.get("/profile").text
    assert user_row(clean_db, "an@example.vn").id_level == 2
