#!/usr/bin/env bash
# bootstrap.sh - create .venv and install the project under its pinned constraints.
#
# Idempotent and cheap when nothing changed: a stamp holding the hash of constraints.txt and
# setup.cfg skips the install. Debian packages are installed only when missing (needs root, or
# sudo). Used by scripts/demo.sh and scripts/test.sh; run it alone to set up a dev machine.
#
# Environment:
#   PYTHON        interpreter for the venv (default: python3.11, else python3 if it is 3.11)
#   APT_PACKAGES  extra Debian packages to ensure (space separated)
#   WITH_PYWB     1: also create .venv-pywb with the pywb replay tool (constraints-pywb.txt),
#                 which the tests use to check that pywb indexes and replays our WARC files
set -Eeuo pipefail
cd "$(dirname "$0")/.."

log() { echo "[bootstrap] $*" >&2; }

ensure_apt() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# python3-venv for the venv, curl for health checks, plus what the caller asks for
# shellcheck disable=SC2086
ensure_apt ca-certificates curl ${APT_PACKAGES:-}

PY=${PYTHON:-}
if [ -z "$PY" ]; then
    if command -v python3.11 >/dev/null; then PY=python3.11
    elif python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then PY=python3
    else ensure_apt python3.11 python3.11-venv; PY=python3.11
    fi
fi

if [ ! -x .venv/bin/python ]; then
    log "creating .venv with $PY"
    "$PY" -m venv .venv || { ensure_apt python3.11-venv; "$PY" -m venv .venv; }
fi

stamp=.venv/.newsarchive-installed
want=$(cat constraints.txt setup.cfg pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing the project and its pinned dependencies into .venv"
    uv_pin=$(grep -i '^uv==' constraints-tools.txt 2>/dev/null || echo uv)
    .venv/bin/python -m pip install -q "$uv_pin"
    .venv/bin/uv pip install -q --python .venv/bin/python -c constraints.txt -e '.[test,dev]'
    echo "$want" > "$stamp"
fi

if [ "${WITH_PYWB:-0}" = 1 ]; then
    # its own venv: pywb pins werkzeug and redis versions that Airflow does not accept
    pywb_stamp=.venv-pywb/.newsarchive-installed
    pywb_want=$(sha256sum constraints-pywb.txt | cut -d' ' -f1)
    if [ "$(cat "$pywb_stamp" 2>/dev/null)" != "$pywb_want" ]; then
        log "installing pywb into .venv-pywb"
        [ -x .venv-pywb/bin/python ] || "$PY" -m venv .venv-pywb
        .venv/bin/uv pip install -q --python .venv-pywb/bin/python -c constraints-pywb.txt pywb
        echo "$pywb_want" > "$pywb_stamp"
    fi
fi
