#!/bin/sh
# The panel's speed figures in one command (issue 12), for a quiet machine:
#   benchmarks/web_speed.sh
# CPU per page in process (web_profile.py), then under the real server, 20 clients back to back,
# with one process per core (the default) and with one process; the load before and after.
set -e
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
echo "== tải máy trước: $(uptime)"
"$PY" benchmarks/web_profile.py --requests 50
"$PY" benchmarks/web_bench.py --processes 0
"$PY" benchmarks/web_bench.py --processes 1
echo "== tải máy sau: $(uptime)"
