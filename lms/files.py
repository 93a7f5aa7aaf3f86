"""Files an instance makes once for itself (keys, secrets, the stub's registry)."""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Callable


def create_once(path: Path, make: Callable[[], bytes]) -> bytes:
    """The file's bytes, writing `make()` first (mode 0600) if it is missing. Written then hard-linked into
    place: atomic, so a second worker never reads a half-written file, and the first writer wins."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        tmp.write_bytes(make())
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another worker made it first
        finally:
            tmp.unlink()
    return path.read_bytes()
