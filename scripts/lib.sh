# Shared helpers for the scripts: idempotent installs of what Tessera needs on a Debian
# machine, and process handling that only ever stops the PIDs it started.
# Source it: `. "$(dirname "$0")/lib.sh"`.

set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VAR="$TOP/var"
VENV="$TOP/.venv"
mkdir -p "$VAR"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Run as root directly, else through sudo.
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# ensure_apt PKG...: installs the Debian packages that are missing (apt-get update once).
ensure_apt() {
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The native parts: libvips (headers for the build, CLI for sample images), libmagic for
# the IIIF validator, curl for health checks.
ensure_system() {
  ensure_apt libvips-dev libopenjp2-7-dev libvips-tools pkg-config libmagic1 curl ca-certificates python3-venv
  command -v cargo >/dev/null || { echo "cargo not found: install Rust (rustup) first" >&2; exit 1; }
  command -v npm >/dev/null || ensure_apt nodejs npm
}

# The Python tools, in a venv of the project's own.
ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    python3 -m venv "$VENV"
  fi
  local want="$TOP/scripts/requirements.txt" stamp="$VENV/.requirements"
  if ! cmp -s "$want" "$stamp"; then
    say "installing Python tools (scripts/requirements.txt)"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$want"
    cp "$want" "$stamp"
  fi
}

# The viewers' front-end packages (OpenSeadragon, Mirador; served locally, no CDN) and the
# browser test's (playwright-core, pngjs), from the npm registry.
ensure_npm() {
  if [ ! -f "$TOP/node_modules/.package-lock.json" ] || [ "$TOP/package-lock.json" -nt "$TOP/node_modules/.package-lock.json" ]; then
    say "installing npm packages"
    (cd "$TOP" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# The browser end-to-end test's Chromium (Debian's build: the npm playwright-core drives
# it and downloads no browser of its own).
ensure_browser() {
  ensure_apt chromium
}

# free_port: prints a free TCP port on loopback.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_http URL SECONDS: waits until URL answers 200.
wait_http() {
  local url=$1 deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    [ $SECONDS -ge $deadline ] && { echo "timed out waiting for $url" >&2; return 1; }
    sleep 0.2
  done
}

# stop_pid PID: stops a process we started (TERM, then KILL after 10 s).
stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
}
