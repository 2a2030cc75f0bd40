"""What a job costs in the worker that `python worker.py` runs, against RQ's fork-per-job Worker.

Usage: .venv/bin/python bench/jobs_worker.py [--payments 200] [--database sqlite|URL]
       [--workers warm,fork]

Serves the QBO emulator in process with no latency and its throttling off, starts a private
redis-server, connects a firm, syncs a client and one invoice per payment (set-up, not measured),
then for each worker kind syncs `--payments` payments in burst mode:

- warm: webapp.worker.JobWorker, what worker.py runs (jobs in the worker's process, no fork);
- fork: RQ's default Worker, a child process per job (what worker.py ran before).

For each payment job it records, inside whichever process ran it, the job function's wall time
and the time spent in HTTP calls to the emulator (requests' Session.send); it prints their median
and 95th percentile, the difference ("outside HTTP": our code, SQL and Redis), and the loop's own
cost per job (elapsed / jobs minus the mean HTTP time: dequeue, fork, RQ's bookkeeping), and jobs
per second. Our Redis throttle stays on (limits raised so no call waits): it is part of every call.
"""

import argparse
import json
import logging
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402
from job_setup import bench_app, percentile, start_redis  # noqa: E402
from machine import describe_machine  # noqa: E402
from redis import Redis  # noqa: E402
from rq import SimpleWorker, Worker  # noqa: E402

from qbo_emulator.testing import EmulatorServer  # noqa: E402
from webapp.billing.operations import create_invoice, record_payment  # noqa: E402
from webapp.clients.operations import create_client  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import (  # noqa: E402
    Firm,
    Payment,
    PaymentMethod,
    QboConnection,
    SyncStatus,
    User,
    utcnow,
)
from webapp.quickbooks import jobs, oauth  # noqa: E402
from webapp.quickbooks.sync import request_sync  # noqa: E402
from webapp.worker import JobWorker  # noqa: E402


class JobMeter:
    """Per payment job: wall time and HTTP time, appended as a JSON line by the process that ran it.

    A file, because with the fork the job runs in a child whose memory is gone when it ends.
    """

    def __init__(self, path: Path):
        self.path = path
        self.http = 0.0
        send = requests.Session.send

        def timed_send(session, *args, **kwargs):
            started = time.perf_counter()
            try:
                return send(session, *args, **kwargs)
            finally:
                self.http += time.perf_counter() - started

        requests.Session.send = timed_send
        run_sync = jobs.run_sync

        def measured_run_sync(*args, **kwargs):
            self.http = 0.0
            started = time.perf_counter()
            try:
                return run_sync(*args, **kwargs)
            finally:
                wall = time.perf_counter() - started
                with self.path.open("a") as out:
                    out.write(json.dumps({"wall": wall, "http": self.http}) + "\n")

        jobs.run_sync = measured_run_sync  # RQ resolves the job's dotted path at run time

    def read(self) -> list[dict]:
        return [json.loads(line) for line in self.path.read_text().splitlines()]


def run_burst(app, redis_url: str, kind: str) -> None:
    try:
        _run_burst(app, redis_url, kind)
    finally:
        # RQ's workers take over Ctrl-C and SIGTERM while they work: give them back.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run_burst(app, redis_url: str, kind: str) -> None:
    connection = Redis.from_url(redis_url)
    queues = app.config["RQ_QUEUES"]
    if kind == "warm":
        JobWorker(queues, connection, app, threading.Event()).work(
            burst=True, logging_level="WARNING"
        )
    elif kind == "fork":
        db.engine.dispose()  # no connection may cross the fork, as the old worker.py did
        with app.app_context():
            Worker(queues, connection=connection).work(burst=True, logging_level="WARNING")
    else:  # set-up only
        with app.app_context():
            SimpleWorker(queues, connection=connection).work(burst=True, logging_level="WARNING")


def seed(app, emulator, realm_id: str, count: int, redis_url: str) -> list[int]:
    """A connected firm with a synced client, `count` synced invoices and one payment each."""
    firm = Firm(name="Bench Firm")
    user = User(firm=firm, email="bench@example.test", password_hash="-")
    connection = QboConnection(firm=firm, realm_id=realm_id, connected_by=user)
    db.session.add_all([firm, user, connection])
    db.session.flush()
    tokens = emulator.control.issue_tokens("ledgerbridge-demo", realm_id)
    oauth.store_tokens(app.config, connection, tokens)
    connection.connected_at = utcnow()
    client = create_client(firm.id, display_name="Summit Ridge Landscaping")
    db.session.commit()
    request_sync(client, user)
    db.session.commit()
    run_burst(app, redis_url, "setup")
    today = date.today()
    invoices = [
        create_invoice(
            db.session.get(type(client), client.id),
            number=f"INV-{n + 1:05d}",
            issue_date=today,
            due_date=today + timedelta(days=30),
            lines=[("Monthly bookkeeping", Decimal("1"), Decimal("100.00"))],
        )
        for n in range(count)
    ]
    db.session.commit()
    for invoice in invoices:
        request_sync(invoice, user)
        db.session.commit()
    run_burst(app, redis_url, "setup")
    payments = [
        record_payment(
            invoice,
            amount=Decimal("100.00"),
            received_on=today,
            method=PaymentMethod.CHECK,
            user=user,
        )
        for invoice in invoices
    ]
    db.session.commit()
    return [payment.id for payment in payments]


def measure(app, redis_url: str, kind: str, payment_ids: list[int], meter: JobMeter) -> dict:
    meter.path.write_text("")
    user = db.session.execute(db.select(User)).scalar_one()
    for payment_id in payment_ids:
        request_sync(db.session.get(Payment, payment_id), user)
        db.session.commit()
    started = time.perf_counter()
    run_burst(app, redis_url, kind)
    elapsed = time.perf_counter() - started
    db.session.expire_all()
    synced = db.session.execute(
        db.select(db.func.count(Payment.id)).where(
            Payment.id.in_(payment_ids), Payment.qbo_status == SyncStatus.SYNCED
        )
    ).scalar_one()
    samples = meter.read()
    return {"elapsed": elapsed, "synced": synced, "samples": samples}


def report(kind: str, result: dict) -> None:
    samples = result["samples"]
    wall = [s["wall"] for s in samples]
    http = [s["http"] for s in samples]
    outside = [s["wall"] - s["http"] for s in samples]
    jobs_run = len(samples)
    loop = result["elapsed"] / jobs_run - statistics.mean(http)
    print(
        f"{kind:>4}: {jobs_run} payment jobs, {result['synced']} Synced, "
        f"{jobs_run / result['elapsed']:.1f} jobs/s, loop cost outside HTTP {loop * 1000:.1f} ms/job"
    )
    for name, values in (("job", wall), ("HTTP", http), ("outside HTTP", outside)):
        print(
            f"      {name:>12}: median {statistics.median(values) * 1000:6.2f} ms, "
            f"p95 {percentile(values, 0.95) * 1000:6.2f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=200)
    parser.add_argument("--database", default="sqlite", help="sqlite, or a database URL")
    parser.add_argument("--workers", default="warm,fork", help="warm, fork or both")
    options = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the emulator's access log
    kinds = options.workers.split(",")

    with (
        tempfile.TemporaryDirectory(prefix="lb-jobs-") as tmp,
        EmulatorServer(config={"RANDOM_SEED": 7}) as emulator,
    ):
        redis_process, redis_url = start_redis(Path(tmp))
        app = bench_app(options.database, Path(tmp), redis_url, emulator.url)
        realm_id = emulator.control.create_company("Bench Company")
        emulator.control.set_faults(realm_id, latency_ms=0, throttling=False)
        meter = JobMeter(Path(tmp) / "jobs.jsonl")
        results = {}
        try:
            with app.app_context():
                db.drop_all()
                db.create_all()
                payment_ids = seed(
                    app, emulator, realm_id, options.payments * len(kinds), redis_url
                )
                for index, kind in enumerate(kinds):
                    chunk = payment_ids[index * options.payments : (index + 1) * options.payments]
                    results[kind] = measure(app, redis_url, kind, chunk, meter)
                db.session.remove()  # its open transaction would block the DROPs
                db.drop_all()
        finally:
            redis_process.terminate()
            redis_process.wait(timeout=5)

    print(describe_machine())
    print(
        f"database: {options.database.split(':')[0]}; emulator latency 0, throttling off; pid {os.getpid()}"
    )
    for kind, result in results.items():
        report(kind, result)


if __name__ == "__main__":
    main()
