#!/usr/bin/env bash
# demo.sh - the main job on embedded defaults: serve the bundled demo news sites on 127.0.0.1,
# run the nightly DAG once on Airflow (SQLite, LocalExecutor settings in .airflow/) into the
# local archive ./archive, then print the run report and a sample of archived articles.
#
# Extra arguments go to `newsarchive demo` (see `newsarchive demo --help`), e.g.
#   scripts/demo.sh --archive s3://bucket/prefix
set -Eeuo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/newsarchive demo "$@"
