#!/usr/bin/env bash
# Fails when the package is out of sync with the notebooks, or a notebook is not clean.
# Works on a copy, so a failing check leaves the working tree as it found it.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

cp -a backprop_book "$tmp/pkg"
nbdev_export
if ! diff -r -x __pycache__ "$tmp/pkg" backprop_book >"$tmp/pkg.diff"; then
  echo "FAIL: nbdev_export changed backprop_book/: the package is out of sync with nbs/." >&2
  echo "      Run 'make export' and commit the result. The difference:" >&2
  head -n 60 "$tmp/pkg.diff" >&2
  rm -rf backprop_book && cp -a "$tmp/pkg" backprop_book
  status=1
else
  echo "ok: backprop_book/ is in sync with nbs/"
fi

cp -a nbs "$tmp/nbs"
nbdev_clean
if ! diff -r -x .ipynb_checkpoints "$tmp/nbs" nbs >"$tmp/nbs.diff"; then
  echo "FAIL: nbdev_clean changed nbs/: a notebook was saved with outputs or metadata." >&2
  echo "      Run 'make clean-nbs' and commit the result. The difference:" >&2
  head -n 40 "$tmp/nbs.diff" >&2
  rm -rf nbs && cp -a "$tmp/nbs" nbs
  status=1
else
  echo "ok: notebooks are clean"
fi
exit $status
