#!/usr/bin/env bash
# test.sh - set up everything the tests need and run them: lint, types, the test suite.
#
# Creates .venv and installs the project under constraints.txt (scripts/bootstrap.sh), installs
# Chromium (the headless browser tests/test_report_html.py looks at the --html pages with),
# the Debian packages of the real S3 server (Ceph RGW), of the scale-out test (Redis, PostgreSQL:
# tests/test_scaleout_celery.py starts its own on loopback) and the compose checker, and pywb (the
# replay tool the WARC files are checked with, in .venv-pywb), then runs ruff, mypy, the import
# contracts (import-linter) and pytest. The S3 server is started by the tests themselves
# (benchmarks/support/s3server.py).
# Extra arguments go to pytest: scripts/test.sh -k warc -x
set -Eeuo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES="ceph-mon ceph-osd radosgw uuid-runtime openssl docker-compose redis-server postgresql chromium" WITH_PYWB=1 \
    bash scripts/bootstrap.sh

export PATH="$PWD/.venv/bin:$PATH"
echo "== ruff" >&2
ruff check .
echo "== mypy" >&2
mypy
echo "== import contracts (setup.cfg [importlinter], docs/architecture.md)" >&2
lint-imports --no-cache
echo "== pytest" >&2
set +e
python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "test.sh: pytest collected no tests: that is a failure" >&2
    exit 1
fi
exit "$status"
