"""Cost of one sync job outside QuickBooks' HTTP calls: our own code, database and Redis.

Usage: .venv/bin/python bench/jobs.py [--payments 200] [--database sqlite|URL]

Serves the QBO emulator in process with no latency and its throttling off, starts a private
redis-server on a unix socket, connects a firm, syncs a client and its invoices (warm-up, not
measured), then syncs one payment per invoice with RQ's SimpleWorker in this process, as the
tests run jobs. For each payment job it measures the job's wall time and the time spent in HTTP
calls to the emulator (requests' Session.send), and prints the median and 95th percentile of
both and of their difference ("outside HTTP": our code, SQL and Redis, waits included; the
time in SQL statements and commits and in Redis commands is shown apart), the
job thread's CPU time outside those calls (less sensitive to other load on the machine), the
number of SQL statements per job, and jobs per second. Our
own Redis throttle stays on (its limits raised so no call waits): it is part of every call.
"""

import argparse
import logging
import statistics
import sys
import tempfile
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
from rq import Queue, SimpleWorker  # noqa: E402
from sqlalchemy import event  # noqa: E402

from qbo_emulator.testing import EmulatorServer  # noqa: E402
from webapp.billing.operations import create_invoice, record_payment  # noqa: E402
from webapp.clients.operations import create_client  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import Firm, PaymentMethod, QboConnection, SyncStatus, User, utcnow  # noqa: E402
from webapp.quickbooks import jobs, oauth  # noqa: E402
from webapp.quickbooks.sync import request_sync  # noqa: E402


class Meter:
    """Per job: time in HTTP calls, in SQL (statements and commits) and in Redis commands."""

    def __init__(self, engine):
        self.reset()
        send = requests.Session.send

        def timed_send(session, *args, **kwargs):
            started, started_cpu = time.perf_counter(), time.thread_time()
            try:
                return send(session, *args, **kwargs)
            finally:
                self.http += time.perf_counter() - started
                self.http_cpu += time.thread_time() - started_cpu

        requests.Session.send = timed_send
        Redis.execute_command = self._timed(Redis.execute_command, "redis")
        engine.dialect.do_commit = self._timed(engine.dialect.do_commit, "sql")
        event.listen(engine, "before_cursor_execute", self._start_statement)
        event.listen(engine, "after_cursor_execute", self._end_statement)

    def _timed(self, function, kind: str):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                setattr(self, kind, getattr(self, kind) + time.perf_counter() - started)

        return timed

    def _start_statement(self, *args):
        self.statements += 1
        self._statement_started = time.perf_counter()

    def _end_statement(self, *args):
        self.sql += time.perf_counter() - self._statement_started

    def reset(self) -> None:
        self.http = self.http_cpu = self.sql = self.redis = 0.0
        self.statements = 0


def run_queue(app, redis_url: str) -> None:
    connection = Redis.from_url(redis_url)
    queues = [Queue(name, connection=connection) for name in app.config["RQ_QUEUES"]]
    SimpleWorker(queues, connection=connection).work(burst=True, logging_level="WARNING")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=200)
    parser.add_argument("--database", default="sqlite", help="sqlite, or a database URL")
    options = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the emulator's access log

    with (
        tempfile.TemporaryDirectory(prefix="ledgerbridge-jobs-") as tmp,
        EmulatorServer(config={"RANDOM_SEED": 7}) as emulator,
    ):
        redis_process, redis_url = start_redis(Path(tmp))
        app = bench_app(options.database, Path(tmp), redis_url, emulator.url)
        realm_id = emulator.control.create_company("Bench Company")
        emulator.control.set_faults(realm_id, latency_ms=0, throttling=False)
        try:
            with app.app_context():
                db.drop_all()
                db.create_all()
                payment_ids = seed(app, emulator, realm_id, options.payments, redis_url)
                meter = Meter(db.engine)
                wall, http, cpu, sql, redis, statements = [], [], [], [], [], []
                run_sync = jobs.run_sync

                def measured_run_sync(*args, **kwargs):
                    meter.reset()
                    started, started_cpu = time.perf_counter(), time.thread_time()
                    try:
                        return run_sync(*args, **kwargs)
                    finally:
                        wall.append(time.perf_counter() - started)
                        cpu.append(time.thread_time() - started_cpu - meter.http_cpu)
                        http.append(meter.http)
                        sql.append(meter.sql)
                        redis.append(meter.redis)
                        statements.append(meter.statements)

                jobs.run_sync = measured_run_sync  # RQ resolves the job's dotted path at run time
                user = db.session.execute(db.select(User)).scalar_one()
                from webapp.models import Payment

                for payment_id in payment_ids:
                    request_sync(db.session.get(Payment, payment_id), user)
                    db.session.commit()
                started = time.perf_counter()
                run_queue(app, redis_url)
                elapsed = time.perf_counter() - started
                synced = db.session.execute(
                    db.select(db.func.count(Payment.id)).where(
                        Payment.qbo_status == SyncStatus.SYNCED
                    )
                ).scalar_one()
        finally:
            redis_process.terminate()
            redis_process.wait(timeout=5)

    outside = [w - h for w, h in zip(wall, http, strict=True)]
    print(describe_machine())
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}")
    print(f"payment sync jobs: {len(wall)} run, {synced} Synced, {len(wall) / elapsed:.1f} jobs/s")
    rows = (
        ("whole job", wall),
        ("HTTP to QBO", http),
        ("outside HTTP", outside),
        ("of which SQL", sql),
        ("of which Redis", redis),
        ("CPU outside", cpu),
    )
    for name, values in rows:
        print(
            f"{name:>14}: median {statistics.median(values) * 1000:6.2f} ms, "
            f"p95 {percentile(values, 0.95) * 1000:6.2f} ms"
        )
    print(f"SQL statements per job: median {statistics.median(statements):.0f}")


def seed(app, emulator, realm_id: str, count: int, redis_url: str) -> list[int]:
    """A connected firm with a synced client, `count` synced invoices and one payment each."""
    firm = Firm(name="Bench Firm")
    user = User(firm=firm, email="bench@example.test", password_hash="-")
    connection = QboConnection(firm=firm, realm_id=realm_id, connected_by=user)
    db.session.add_all([firm, user, connection])
    db.session.flush()
    oauth.store_tokens(
        app.config, connection, emulator.control.issue_tokens("ledgerbridge-demo", realm_id)
    )
    connection.connected_at = utcnow()
    client = create_client(firm.id, display_name="Summit Ridge Landscaping")
    db.session.commit()
    request_sync(client, user)
    db.session.commit()
    run_queue(app, redis_url)
    today = date.today()
    invoices = []
    for n in range(count):
        invoice = create_invoice(
            db.session.get(type(client), client.id),
            number=f"INV-{n + 1:05d}",
            issue_date=today,
            due_date=today + timedelta(days=30),
            lines=[("Monthly bookkeeping", Decimal("1"), Decimal("100.00"))],
        )
        invoices.append(invoice)
    db.session.commit()
    for invoice in invoices:
        request_sync(invoice, user)
        db.session.commit()
    run_queue(app, redis_url)
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


if __name__ == "__main__":
    main()
