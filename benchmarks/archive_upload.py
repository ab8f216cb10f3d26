"""Archive upload throughput: the project's S3 store vs plain boto3 ``upload_file``.

Both upload the same files to the same real S3 server (the Ceph RGW the tests use, started if
needed) in the same run, alternating rounds so that drift on the machine hits both alike.
Prints MB/s for each and the ratio store/boto3 (goal >= 0.9).

    .venv/bin/python benchmarks/archive_upload.py [--files 8] [--mib 24] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import boto3
from boto3.s3.transfer import TransferConfig

from pipeline.archive.s3store import S3Store, make_client
from pipeline.config.settings import Settings

from support import s3server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--mib", type=int, default=24, help="size of each file in MiB")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    server = s3server.start()
    settings = Settings(s3_endpoint_url=server.endpoint_url, s3_region="us-east-1")
    session = boto3.session.Session(aws_access_key_id=server.access_key,
                                    aws_secret_access_key=server.secret_key,
                                    region_name="us-east-1")
    bucket = f"bench-{uuid.uuid4().hex[:12]}"
    plain = make_client(settings, session)  # same endpoint config, no project code on the path
    plain.create_bucket(Bucket=bucket)
    store = S3Store(bucket, "bench/store", settings, session)
    # the baseline uses boto3's own defaults for the transfer, the store its settings
    baseline_config = TransferConfig()

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(args.files):
            path = Path(tmp, f"f{i}.warc.gz")
            path.write_bytes(os.urandom(args.mib << 20))
            paths.append(path)
        total_mb = args.files * args.mib * 1.048576
        store_rates, boto_rates = [], []
        for rnd in range(args.rounds):
            t0 = time.perf_counter()
            for path in paths:
                plain.upload_file(str(path), bucket, f"bench/boto/{rnd}/{path.name}",
                                  Config=baseline_config)
            boto_rates.append(total_mb / (time.perf_counter() - t0))
            t0 = time.perf_counter()
            for path in paths:
                store.put_file(f"r{rnd}/{path.name}", path)
            store_rates.append(total_mb / (time.perf_counter() - t0))
            print(f"round {rnd + 1}: boto3 {boto_rates[-1]:.1f} MB/s, "
                  f"store {store_rates[-1]:.1f} MB/s")
    keys = [o["Key"] for page in plain.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for o in page.get("Contents", [])]
    for start in range(0, len(keys), 1000):
        plain.delete_objects(Bucket=bucket, Delete={
            "Objects": [{"Key": k} for k in keys[start:start + 1000]]})
    plain.delete_bucket(Bucket=bucket)
    boto_mbs, store_mbs = statistics.median(boto_rates), statistics.median(store_rates)
    print(f"data: {args.files} files x {args.mib} MiB, {args.rounds} rounds, median of rounds")
    print(f"boto3 upload_file: {boto_mbs:.1f} MB/s")
    print(f"ArchiveStore.put_file: {store_mbs:.1f} MB/s")
    print(f"ratio store/boto3: {store_mbs / boto_mbs:.2f} (goal >= 0.90)")


if __name__ == "__main__":
    main()
