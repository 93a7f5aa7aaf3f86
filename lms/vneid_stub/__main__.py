"""`python -m lms.vneid_stub --port 5001`: the VNeID stub as its own process (issuer
http://HOST:PORT/vneid)."""
from __future__ import annotations

import argparse

from werkzeug.serving import run_simple

from . import create_stub_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lms.vneid_stub",
                                     description="Run the VNeID stub (simulation).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--instance", default=None,
                        help="instance folder (default: LMS_INSTANCE_PATH or ./instance)")
    args = parser.parse_args(argv)
    run_simple(args.host, args.port, create_stub_app(args.instance), threaded=True)


if __name__ == "__main__":
    main()
