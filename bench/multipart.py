"""Throughput of the streaming multipart parser (app.multipart).

Feeds a synthetic multipart/form-data body holding one large file part (random
bytes, so CRs and LFs turn up as they do in real video) in fixed-size chunks, as
Tornado's ``data_received`` would, with the file written to the null device.
Prints MB/s. Not part of the test run.

    .venv/bin/python bench/multipart.py [--size-mb 500] [--chunk-kb 64]
"""

from __future__ import annotations

import argparse
import os
import random
import time

from app.multipart import MultipartParser

BOUNDARY = b"----ShoalBenchBoundary0123456789"


def run(size_mb: int, chunk_kb: int) -> float:
    """Parse a body with a ``size_mb`` MB file part fed in ``chunk_kb`` KiB chunks; return MB/s."""
    chunk_size = chunk_kb * 1024
    payload = random.Random(0).randbytes(chunk_size)
    count = size_mb * 1024 * 1024 // chunk_size
    head = (
        b"--" + BOUNDARY + b"\r\n"
        b'Content-Disposition: form-data; name="name"\r\n\r\nbench\r\n'
        b"--" + BOUNDARY + b"\r\n"
        b'Content-Disposition: form-data; name="videofile"; filename="bench.mp4"\r\n'
        b"Content-Type: video/mp4\r\n\r\n"
    )
    tail = b"\r\n--" + BOUNDARY + b"--\r\n"
    # Chunks that do not line up with the part, as on a real connection.
    shift = len(head)
    rotated = payload[shift:] + payload[:shift]
    total = len(head) + count * chunk_size + len(tail)

    with open(os.devnull, "wb") as sink:
        parser = MultipartParser(
            "multipart/form-data; boundary=" + BOUNDARY.decode(), lambda *_: sink
        )
        started = time.perf_counter()
        parser.feed(head + payload[:shift])
        for _ in range(count - 1):
            parser.feed(rotated)
        parser.feed(payload[shift:] + tail)
        parser.close()
        elapsed = time.perf_counter() - started

    assert parser.files[0].size == count * chunk_size, parser.files
    assert parser.fields == {"name": ["bench"]}
    return total / elapsed / 1e6


def main() -> None:
    """Run the benchmark from the command line and print the figure."""
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--size-mb", type=int, default=500, help="size of the file part (MiB)")
    args.add_argument("--chunk-kb", type=int, default=64, help="size of each fed chunk (KiB)")
    options = args.parse_args()
    rate = run(options.size_mb, options.chunk_kb)
    print(
        f"multipart: {options.size_mb} MiB file part in {options.chunk_kb} KiB chunks "
        f"-> /dev/null: {rate:,.0f} MB/s"
    )


if __name__ == "__main__":
    main()
