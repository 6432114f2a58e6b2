#!/usr/bin/env bash
# Check that ajv (with ajv-formats) and @hyperjump/json-schema, each given only
# the bundled schemas, agree with bakery_io on fresh dumps of the sample
# database (directory and single document), the golden files of formats 1.0 and
# 1.1, and invalid variants of them. Run from anywhere; uses the project's venv
# (or $BAKERY_IO_PYTHON) to build the corpus.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
python="${BAKERY_IO_PYTHON:-$repo/.venv/bin/python}"

if ! command -v node >/dev/null 2>&1; then
  # Debian's own packages (nodejs 18 on bookworm), only when there is no node at all.
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq nodejs npm >/dev/null
fi

cd "$here"
npm ci --no-audit --no-fund --loglevel=error

corpus="$(mktemp -d)"
trap 'rm -rf "$corpus"' EXIT
"$python" corpus.py "$corpus"
node check.mjs "$corpus"
