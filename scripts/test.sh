#!/usr/bin/env bash
# Install what the tests need (Python packages, Debian's Chromium headless shell,
# redis-server and nginx),
# then run every test, browser and Redis + Celery tests included. Used by the README
# and by .ci/run. The tests start and stop their own servers (redis-server, the app,
# a Celery worker), on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
missing=()
[ -x /usr/bin/chromium-headless-shell ] || missing+=(chromium-headless-shell)
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing+=(nginx)
if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python -m ruff check .
# Two test processes, each with half the browser tests (its own app and Chromium) and
# some of the other files (tests/conftest.py compiles the kernels first, across the
# cores, and prints where the time went). "-n 0" runs one: see the README.
# (pytest-benchmark, installed for measuring by hand, is off: no test uses it, and
# under xdist it only warns that it is off. So is Hypothesis's plugin, where Hypothesis
# is installed: no test uses it, and loading it took 0.9 s in each of the three
# processes.)
python -m pytest -n 2 --dist loadgroup --no-loadscope-reorder --browser-groups 2 \
    -p no:benchmark -p no:hypothesispytest "$@"
