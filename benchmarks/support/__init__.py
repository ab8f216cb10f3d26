"""What the benchmarks and the tests share: a real Airflow, a real S3 server, a labelled corpus.

- :mod:`.airflow_harness`: a throw-away ``AIRFLOW_HOME`` and the Airflow services.
- :mod:`.s3server`: the local S3 server (Ceph RGW, ``scripts/s3-server.sh``).
- :mod:`.neardup_corpus`: the labelled near-duplicate corpus.
- :mod:`.legacy_blocks`: the near-duplicate lookup before issue 15 (a benchmark baseline).

A benchmark is a script, so Python puts ``benchmarks/`` on its path: it imports
``support.<module>``. The tests, run from the repository root, import
``benchmarks.support.<module>``. These modules import nothing but the standard library and the
installed project, so both work; ``benchmarks/`` imports nothing from ``tests/``.
"""
