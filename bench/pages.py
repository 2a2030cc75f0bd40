"""Cost of the list pages at a firm's real size: p50/p95 and SQL statements per request.

Usage: .venv/bin/python bench/pages.py [--sizes 1000 100000] [--databases sqlite postgresql]
                                       [--repeat 60] [--keep DIR [--reuse]]

For each database and size, a fresh database is migrated and seeded by the commands a user runs
(`flask db upgrade`, `flask seed-demo --payments N`: N payments, 3 invoices per 4 payments,
3 invoices per client), and the seed's wall time is printed. Then every list page is requested
`--repeat` times through Flask's test client (in process, no network, signed in as the demo
owner, or staff with --user staff): first page, the page after it, last page, a search, and each filter. It prints the median
and 95th-percentile time per request, the SQL statements each request ran, and, when both sizes
ran, how much the p95 grew from the small firm to the big one (goal: at most 1.5x; the pages
should cost what the 50 rows shown cost, not what the table holds).

PostgreSQL: the server at 127.0.0.1:5432 (BENCH_POSTGRES_URL to change it); the benchmark makes
databases named ledgerbridge_bench_<N> and drops them afterwards (kept with --keep).
"""

import argparse
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from machine import describe_machine  # noqa: E402
from sqlalchemy import event, select  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.demo.seed import DEMO_EMAIL, STAFF_EMAIL  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import User  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = "bench-pages-secret-not-for-production-0123456789"
SEARCH = "Summit Ridge Landscaping"
PAGES = [
    ("Payments", "/billing/payments", ""),
    ("Payments", "/billing/payments", "next"),
    ("Payments", "/billing/payments", "last=1"),
    ("Payments", "/billing/payments", f"q={SEARCH.replace(' ', '+')}"),
    ("Payments", "/billing/payments", "q=ridge"),
    ("Payments", "/billing/payments", "method=cash"),
    ("Payments", "/billing/payments", "qbo=skipped"),
    ("Payments", "/billing/payments", "qbo=skipped&last=1"),
    ("Invoices", "/billing/invoices", ""),
    ("Invoices", "/billing/invoices", "last=1"),
    ("Invoices", "/billing/invoices", f"q={SEARCH.replace(' ', '+')}"),
    ("Invoices", "/billing/invoices", "status=paid"),
    ("Invoices", "/billing/invoices", "qbo=not_synced&last=1"),
    ("Clients", "/clients/", ""),
    ("Clients", "/clients/", "last=1"),
    ("Clients", "/clients/", "q=summit"),
    ("Clients", "/clients/", "status=inactive"),
    ("Clients", "/clients/", "qbo=not_synced&last=1"),
]


def flask(args: list[str], env: dict) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def postgres_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(sql)


def postgres_reachable() -> bool:
    import psycopg

    try:
        psycopg.connect(POSTGRES, connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


def postgres_has_database(name: str) -> bool:
    import psycopg

    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return found is not None


def prepare(database: str, size: int, tmp: Path, reuse: bool) -> tuple[str, float | None]:
    """A migrated, seeded database; its SQLAlchemy URL and the seed's wall time (None: reused)."""
    if database == "sqlite":
        path = tmp / f"pages-{size}.db"
        url = f"sqlite:///{path}"
        if reuse and path.exists():
            return url, None
    else:
        name = f"ledgerbridge_bench_{size}"
        url = POSTGRES.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        url = f"{url}/{name}"
        if reuse and postgres_has_database(name):
            return url, None
        postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        postgres_admin(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET}
    env.pop("DEMO_PASSWORD", None)
    flask(["db", "upgrade"], env)
    started = time.perf_counter()
    flask(["seed-demo", "--payments", str(size)], env)
    return url, time.perf_counter() - started


class StatementCounter:
    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args):
        self.count += 1


def percentile_95(timings: list[float]) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


class SignedIn:
    """The app on one seeded database, and a test client signed in as a demo user."""

    def __init__(self, url: str, email: str):
        self.app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET})
        with self.app.app_context():
            user = db.session.execute(select(User).filter_by(email=email)).scalar_one()
            session_id = user.get_id()  # "<id>:<session token>", as Flask-Login stores it
            self.counter = StatementCounter(db.engine)
        self.client = self.app.test_client()
        with self.client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True

    def target(self, path: str, query: str) -> str:
        if query != "next":
            return f"{path}?{query}" if query else path
        first = self.client.get(path).text
        return re.search(r'<a href="([^"]+)"[^>]*rel="next"', first).group(1).replace("&amp;", "&")

    def close(self) -> None:
        with self.app.app_context():
            db.engine.dispose()


def measure(sites: dict[int, SignedIn], repeat: int) -> dict:
    """{size: {(page, query): (p50 ms, p95 ms, statements, rows shown)}} for every page.

    The sizes take turns request by request, so that other load on the machine falls on both
    alike and the growth ratio compares like with like.
    """
    results = {size: {} for size in sites}
    for name, path, query in PAGES:
        targets = {size: site.target(path, query) for size, site in sites.items()}
        timings = {size: [] for size in sites}
        statements = {size: set() for size in sites}
        rows = {}
        for round_ in range(repeat + 3):  # 3 to warm: templates compiled, statements cached
            for size, site in sites.items():
                site.counter.count = 0
                started = time.perf_counter()
                response = site.client.get(targets[size])
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, (targets[size], response.status_code)
                if round_ >= 3:
                    timings[size].append(elapsed)
                    statements[size].add(site.counter.count)
                rows[size] = len(re.findall(r'<tr id="[a-z]+-\d+"', response.text))
        for size in sites:
            results[size][(name, query or "first page")] = (
                statistics.median(timings[size]),
                percentile_95(timings[size]),
                "/".join(map(str, sorted(statements[size]))),
                rows[size],
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--keep", type=Path, help="keep the SQLite files here (and PG databases)")
    parser.add_argument("--reuse", action="store_true", help="with --keep: reuse seeded databases")
    parser.add_argument(
        "--user",
        choices=["owner", "staff"],
        default="owner",
        help="sign in as the demo owner (whose top bar counts rows needing attention) or staff",
    )
    options = parser.parse_args()
    logging.getLogger("webapp.requests").setLevel(logging.WARNING)  # no line per request

    with tempfile.TemporaryDirectory(prefix="ledgerbridge-pages-") as tmp:
        folder = options.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for database in options.databases:
            if database == "postgresql" and not postgres_reachable():
                print(f"PostgreSQL at {POSTGRES} does not answer: skipped (BENCH_POSTGRES_URL)")
                continue
            sites = {}
            for size in options.sizes:
                url, seed_seconds = prepare(database, size, folder, options.reuse and options.keep)
                if seed_seconds is not None:
                    print(f"{database}: seed-demo --payments {size:,} took {seed_seconds:.1f} s")
                sites[size] = SignedIn(url, DEMO_EMAIL if options.user == "owner" else STAFF_EMAIL)
            by_size = measure(sites, options.repeat)
            for size, site in sites.items():
                site.close()
                if database == "postgresql" and not options.keep:
                    postgres_admin(
                        f'DROP DATABASE IF EXISTS "ledgerbridge_bench_{size}" WITH (FORCE)'
                    )
            for size in options.sizes:
                print(f"\n== {database}, {size:,} payments")
                print(f"{'page':<10}{'query':<34}{'p50 ms':>8}{'p95 ms':>8}{'SQL':>5}{'rows':>6}")
                for (name, query), (p50, p95, sql, rows) in by_size[size].items():
                    print(f"{name:<10}{query[:33]:<34}{p50:>8.1f}{p95:>8.1f}{sql:>5}{rows:>6}")
            if len(options.sizes) > 1:
                small, big = by_size[min(options.sizes)], by_size[max(options.sizes)]
                print(
                    f"\np95 growth {max(options.sizes):,} / {min(options.sizes):,} on {database}:"
                )
                for key in small:
                    print(f"  {key[0]:<10}{key[1][:33]:<34}{big[key][1] / small[key][1]:>6.2f}x")
    print("\nSQL counts every statement of a request, including loading the signed-in user.")
    print(describe_machine())


if __name__ == "__main__":
    main()
