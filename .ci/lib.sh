#!/usr/bin/env bash
# Shared functions for .ci/serve and .ci/test: repository root, virtualenv, Debian packages and a
# throwaway PostgreSQL server. Sourced, never run; the caller sets `set -euo pipefail`.

CI_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$CI_DIR/.." && pwd -P)"
VENV="$REPO_ROOT/.venv"
INSTALL_STAMP="$VENV/.ci-install-stamp"
APT_UPDATED=0

log() { printf '[ci] %s\n' "$*" >&2; }

die() {
    printf '[ci] ERROR: %s\n' "$*" >&2
    exit 1
}

# Run from the repository root whatever the caller's current directory is.
enter_repo() { cd "$REPO_ROOT"; }

# True when the given interpreter is Python 3.11 or newer.
python_is_recent() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }

# The interpreter that creates the virtualenv: python3.11, else python3 if it is 3.11+.
find_python() {
    local candidate
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && python_is_recent "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    die "Python 3.11 or newer is needed (python3.11 or python3); install it, e.g. apt-get install python3"
}

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        return 127
    fi
}

can_be_root() { [[ $EUID -eq 0 ]] || command -v sudo >/dev/null 2>&1; }

# Install Debian packages (apt-get update once per run); fail with a clear message when we cannot.
apt_install() {
    (($# > 0)) || return 0
    command -v apt-get >/dev/null 2>&1 \
        || die "missing system packages: $*; apt-get is not available here, install them by hand"
    can_be_root \
        || die "missing system packages: $*; run as root or install sudo, or ask an admin to run:" \
               "apt-get install -y --no-install-recommends $*"
    log "installing Debian packages: $*"
    if ((APT_UPDATED == 0)); then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update \
            || die "apt-get update failed (no root rights or no network?)"
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" \
        || die "could not install: $* (run: apt-get install -y --no-install-recommends $*)"
}

# The bin folder of the newest installed PostgreSQL (Debian layout), or nothing.
postgres_bin() {
    local bins=() dir
    for dir in /usr/lib/postgresql/*/bin; do
        [[ -x "$dir/pg_ctl" ]] && bins+=("$dir")
    done
    ((${#bins[@]} > 0)) || return 0
    printf '%s\n' "${bins[@]}" | sort -V | tail -n 1
}

# Install each named package whose marker file is missing: `ensure_packages chromium postgresql ...`.
ensure_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        case "$pkg" in
            chromium) [[ -x /usr/bin/chromium ]] || missing+=(chromium) ;;
            postgresql) [[ -n "$(postgres_bin)" ]] || missing+=(postgresql) ;;
            fonts-dejavu-core) [[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || missing+=("$pkg") ;;
            redis-server) [[ -x /usr/bin/redis-server ]] || missing+=(redis-server) ;;
            *) die "ensure_packages: unknown package $pkg" ;;
        esac
    done
    apt_install "${missing[@]}"
}

# A hash of everything that decides what `pip install` puts in the virtualenv.
install_fingerprint() {
    {
        "$VENV/bin/python" -c 'import sys; print(sys.version)'
        cat "$REPO_ROOT/setup.cfg" "$REPO_ROOT/pyproject.toml"
    } | sha256sum | cut -d' ' -f1
}

# Create .venv; only called when it does not exist, so removing a half-made one deletes nothing else.
create_venv() {
    local python version
    python="$(find_python)"
    log "creating $VENV with $python"
    if ! "$python" -m venv "$VENV"; then
        # Debian ships venv's ensurepip in a separate package (python3.11-venv).
        rm -rf "$VENV"
        version="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        apt_install "python${version}-venv"
        "$python" -m venv "$VENV" || { rm -rf "$VENV"; die "could not create $VENV with $python"; }
    fi
}

# Create .venv if missing and `pip install -e .[test]` when setup.cfg/pyproject.toml changed since the
# last install (a stamp with their hash lives inside .venv).
ensure_venv() {
    [[ -e "$VENV" ]] || create_venv
    "$VENV/bin/python" -c '' 2>/dev/null \
        || die "$VENV exists but its Python does not run (made by another user or machine?);" \
               "remove it (rm -rf .venv) and run again"
    python_is_recent "$VENV/bin/python" \
        || die "$VENV uses a Python older than 3.11; remove it (rm -rf .venv) and run again"
    local wanted
    wanted="$(install_fingerprint)"
    if [[ -f "$INSTALL_STAMP" && "$(cat "$INSTALL_STAMP")" == "$wanted" && -x "$VENV/bin/lms" ]]; then
        return 0
    fi
    log "installing the package and its test dependencies into $VENV"
    (cd "$REPO_ROOT" && "$VENV/bin/python" -m pip install --quiet -e '.[test]') \
        || die "pip install -e '.[test]' failed"
    printf '%s\n' "$wanted" >"$INSTALL_STAMP"
}

# A free TCP port on 127.0.0.1, preferring the given one.
free_port() {
    "$VENV/bin/python" - "${1:-0}" <<'PY'
import socket
import sys

for port in (int(sys.argv[1]), 0):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(s.getsockname()[1])
        break
PY
}

# pip-audit over the virtualenv, summed up in one line on stdout; returns 0 (no known vulnerability), 1 (known
# vulnerabilities: the line lists them) or 3 (the advisory data could not be reached, or no package could be
# looked up: a warning, not a failure; docs/security.md#static-checks). PIP_AUDIT_TIMEOUT bounds the run (s).
pip_audit_summary() {
    local out err rc=0 verdict=0
    out="$(mktemp)"
    err="$(mktemp)"
    timeout "${PIP_AUDIT_TIMEOUT:-300}" "$VENV/bin/pip-audit" --skip-editable --progress-spinner off \
        --format json --output "$out" 2>"$err" || rc=$?
    "$VENV/bin/python" - "$out" "$err" "$rc" <<'PY' || verdict=$?
import json
import sys

out, err, rc = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    with open(out, encoding="utf-8") as fh:
        report = json.load(fh)
except (OSError, ValueError):
    lines = [line for line in open(err, encoding="utf-8", errors="replace").read().splitlines() if line.strip()]
    reason = lines[-1][:200] if lines else f"exit {rc}"
    print(f"could not reach the vulnerability advisory service, not audited ({reason})")
    sys.exit(3)
deps = report.get("dependencies", [])
vulnerable = [f"{d['name']} {d.get('version', '?')} ({', '.join(v['id'] for v in d['vulns'])})"
              for d in deps if d.get("vulns")]
skipped = [d["name"] for d in deps if d.get("skip_reason")]
audited = len(deps) - len(skipped)
if vulnerable:
    print(f"{len(vulnerable)} package(s) with known vulnerabilities: {'; '.join(vulnerable)}")
    sys.exit(1)
if audited == 0:
    print(f"could not reach the vulnerability advisory data: none of the {len(deps)} packages could be looked up "
          "(the package index answered without version data; not audited, not failing)")
    sys.exit(3)
extra = f"; {len(skipped)} could not be looked up: {', '.join(skipped[:10])}" if skipped else ""
print(f"no known vulnerabilities in {audited} package(s){extra}")
PY
    rm -f "$out" "$err"
    return "$verdict"
}

# --- Throwaway PostgreSQL -------------------------------------------------------------------------
# pg_start sets PG_TMP, PG_PORT and PG_URL; pg_stop (idempotent, safe in an EXIT trap) removes it all.
PG_TMP=""
PG_BIN=""
PG_PORT=""
PG_URL=""

# Run a PostgreSQL server command as the cluster's owner: `postgres` when we are root (the server
# refuses to run as root), ourselves otherwise. The working directory is the temp dir, which it can read.
pg_as_owner() {
    if [[ $EUID -eq 0 ]]; then
        if command -v runuser >/dev/null 2>&1; then
            (cd "$PG_TMP" && runuser -u postgres -- "$@")
        else
            (cd "$PG_TMP" && su postgres -s /bin/sh -c "$(printf '%q ' "$@")")
        fi
    else
        (cd "$PG_TMP" && "$@")
    fi
}

pg_start() {
    PG_BIN="$(postgres_bin)"
    [[ -n "$PG_BIN" ]] || die "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin"
    if [[ $EUID -eq 0 ]] && ! id -u postgres >/dev/null 2>&1; then
        die "running as root but there is no 'postgres' system user (Debian's postgresql package creates it)"
    fi
    if [[ $EUID -eq 0 ]]; then
        # /tmp, not $TMPDIR: the postgres user must be able to reach the folder.
        PG_TMP="$(mktemp -d /tmp/lms-pg.XXXXXX)"
        chown postgres: "$PG_TMP"
    else
        PG_TMP="$(mktemp -d -t lms-pg.XXXXXX)"
    fi
    PG_PORT="$(free_port 55432)"
    local data="$PG_TMP/data"
    log "starting a throwaway PostgreSQL ($PG_BIN) in $PG_TMP on 127.0.0.1:$PG_PORT"
    pg_as_owner "$PG_BIN/initdb" --pgdata="$data" --username=postgres --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$PG_TMP/initdb.log" 2>&1 \
        || { cat "$PG_TMP/initdb.log" >&2; die "initdb failed"; }
    # Settings go into the cluster's own config file: no shell quoting of paths on the command line.
    pg_as_owner tee -a "$data/postgresql.conf" >/dev/null <<CONF

# Throwaway test server (.ci/test): loopback only, socket in the temp dir, durability off for speed.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_TMP'
fsync = off
full_page_writes = off
synchronous_commit = off
CONF
    pg_as_owner "$PG_BIN/pg_ctl" --pgdata="$data" --log="$PG_TMP/server.log" --wait --timeout=60 start \
        >/dev/null || { cat "$PG_TMP/server.log" >&2 || true; die "PostgreSQL did not start"; }
    local tries=0
    until "$PG_BIN/pg_isready" --quiet --host=127.0.0.1 --port="$PG_PORT"; do
        ((++tries < 100)) || die "PostgreSQL is not ready after 20 s"
        sleep 0.2
    done
    "$PG_BIN/createdb" --host=127.0.0.1 --port="$PG_PORT" --username=postgres lms_test \
        || die "could not create database lms_test"
    PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/lms_test"
}

pg_stop() {
    [[ -n "$PG_TMP" && -d "$PG_TMP" ]] || return 0
    if [[ -f "$PG_TMP/data/postmaster.pid" ]]; then
        pg_as_owner "$PG_BIN/pg_ctl" --pgdata="$PG_TMP/data" --mode=fast --wait stop >/dev/null 2>&1 \
            || pg_as_owner "$PG_BIN/pg_ctl" --pgdata="$PG_TMP/data" --mode=immediate stop >/dev/null 2>&1 \
            || log "could not stop the PostgreSQL server in $PG_TMP"
    fi
    rm -rf "$PG_TMP"
    PG_TMP=""
}
