"""The job worker: `python worker.py` (runs until stopped), `--burst` (until the queue is empty).

Run as many as you like (the demo runs one, production N under systemd or a Procfile); each runs
one job at a time. The loop itself is webapp/worker.py.

Why no fork per job. RQ's default Worker forks a child for every job, and the child starts cold:
it configures SQLAlchemy's mappers (~75 ms), compiles every statement again (~100 ms), opens a new
database connection and derives the token key, for a job whose own work is a few milliseconds.
Warming the parent before the fork helps only with what the parent itself compiled, and forking a
process that runs a housekeeping thread risks a child that inherits a lock held by that thread.
So the worker is RQ's SimpleWorker: jobs run in this process, one after another, warm.

What keeps a crash contained without the fork:
- A job that raises is one failed job: our jobs catch, record and decide retry or Failed, and RQ
  records the rest. Each job runs in a fresh app context, so no session state leaks into the next.
- A job that runs too long is interrupted by RQ's timeout (SIGALRM in this main thread).
- A process that dies (SIGKILL, OOM, segfault) takes only its one running job with it: its
  supervisor starts it again (docs/deploy), its row lock expires, and the sweeper re-enqueues the
  row. That is the path a killed fork parent needed anyway.
- Memory a job leaks stays in the process: `--max-jobs N` makes it exit after N jobs for its
  supervisor to start a fresh one.
"""

import argparse
import sys

from webapp import create_app
from webapp.config import check_secrets
from webapp.worker import run_worker


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="run queued jobs, then exit")
    parser.add_argument("--max-jobs", type=int, help="exit after this many jobs")
    args = parser.parse_args()

    app = create_app()
    check_secrets(app.config)  # jobs encrypt QuickBooks tokens with a key derived from it
    # Import every job module now, not on the first job of each kind.
    import webapp.quickbooks.bulk_jobs  # noqa: F401
    import webapp.quickbooks.cdc_jobs  # noqa: F401
    import webapp.quickbooks.jobs  # noqa: F401
    import webapp.quickbooks.sweeper  # noqa: F401

    run_worker(app, burst=args.burst, max_jobs=args.max_jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
