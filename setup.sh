#!/usr/bin/env bash
# Sets simplatform up on a fresh Debian / Python 3.11 machine: the system
# libraries its wheels need (open3d loads libusb-1.0 at import), a virtual
# environment in .venv, and the package with its test extras.  Idempotent:
# a second run only checks.
set -euo pipefail
cd "$(dirname "$0")"

need_apt=()
if ! ldconfig -p 2>/dev/null | grep -q 'libusb-1.0.so.0'; then need_apt+=(libusb-1.0-0); fi
if ! ldconfig -p 2>/dev/null | grep -q 'libgomp.so.1'; then need_apt+=(libgomp1); fi
if [ ${#need_apt[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "setup: installing system packages: ${need_apt[*]}"
    $SUDO apt-get install -y -q "${need_apt[@]}" >/dev/null 2>&1 \
        || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q "${need_apt[@]}" >/dev/null; }
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e ".[sensors,test]"
# Compile (or load from numba's cache) every compiled kernel (vehicle models, traffic,
# engine batch, trajectory log, metrics, sensors)
# once, so that parallel workers (pytest-xdist, the suite runner's pool) load the
# cache instead of each compiling.
.venv/bin/python -m simplatform.warmup
echo "setup: ready (.venv/bin/simplatform)"
