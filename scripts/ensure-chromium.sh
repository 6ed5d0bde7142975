#!/usr/bin/env bash
# Make sure Debian's headless-capable Chromium is at /usr/bin/chromium (the browser test
# drives it with playwright-core, which downloads no browser of its own).
# Idempotent: does nothing when the binary is already there. Needs root (or sudo) for apt.
set -euo pipefail

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

if [ -x "$CHROMIUM" ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo -n)
else
    echo "ensure-chromium: $CHROMIUM is missing and installing it needs root (no sudo here)." >&2
    echo "ensure-chromium: run 'apt-get install chromium' as root, then retry." >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: $CHROMIUM is missing and this system has no apt-get;" \
         "install Chromium so that $CHROMIUM exists (or set CHROMIUM=/path/to/chromium)." >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "ensure-chromium: installing Debian's chromium package ..." >&2
"${SUDO[@]}" apt-get update -q >&2
"${SUDO[@]}" apt-get install -y -q --no-install-recommends chromium >&2

if [ ! -x "$CHROMIUM" ]; then
    echo "ensure-chromium: apt-get finished but $CHROMIUM is still missing." >&2
    exit 1
fi
"$CHROMIUM" --version >&2 || true
