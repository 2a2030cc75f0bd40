"""Time `flask --app wsgi seed-demo --payments N` on a fresh temporary SQLite database.

Usage: .venv/bin/python bench/seed_speed.py [--payments 100000]

The migration and the seed run as child processes, exactly as a user would run them; the seed's
wall time, its payments per second and its peak resident memory (the child's ru_maxrss) are
printed with the machine they ran on.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import describe_machine  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def flask(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=100_000)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ledgerbridge-bench-") as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.db'}"}
        env.pop("DEMO_PASSWORD", None)
        flask(["db", "upgrade"], env)
        started = time.perf_counter()
        result = flask(["seed-demo", "--payments", str(options.payments)], env)
        seconds = time.perf_counter() - started
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        size = (Path(tmp) / "bench.db").stat().st_size

    print(result.stdout.splitlines()[0])
    print(f"seed-demo --payments {options.payments:,} on SQLite")
    print(f"  wall time (whole command):  {seconds:6.1f} s")
    print(f"  payments per second:        {options.payments / seconds:8,.0f}")
    print(f"  peak RSS of the command:    {peak_kib / 1024:6.0f} MiB")
    print(f"  database file:              {size / 2**20:6.0f} MiB")
    print(describe_machine())


if __name__ == "__main__":
    main()
