"""The RQ worker: `python worker.py` (runs until stopped) or `python worker.py --burst`.

It creates the app, pushes an app context and preloads the job modules, so each forked job starts
with the app ready instead of building it per job. A small thread enqueues the sweeper every
QBO_SWEEP_INTERVAL_SECONDS; a Redis key taken with SET NX makes one enqueue per interval
whatever the number of workers. The worker also runs RQ's scheduler, which enqueues the
retries that RQ Retry scheduled with a backoff.
"""

import argparse
import logging
import threading

from redis import Redis
from rq import Queue, Worker

from webapp import create_app
from webapp.config import check_secrets
from webapp.extensions import db

SWEEP_JOB = "webapp.quickbooks.sweeper.sweep_stuck_rows"
# Enqueues a CDC catch-up for each connected company that is due (see cdc_jobs.catch_up_all).
CATCH_UP_JOB = "webapp.quickbooks.cdc_jobs.catch_up_all"


def enqueue_sweep(app, redis: Redis) -> bool:
    """Enqueue the sweeper unless another worker did so during this interval."""
    interval = app.config["QBO_SWEEP_INTERVAL_SECONDS"]
    if not redis.set("qbo:sweeper:last", "1", nx=True, ex=max(interval - 1, 1)):
        return False
    queue = Queue(app.config["RQ_QUEUES"][0], connection=redis)
    for job in (SWEEP_JOB, CATCH_UP_JOB):
        queue.enqueue(job, job_timeout=app.config["JOB_TIMEOUT"], result_ttl=60)
    return True


def sweep_forever(app, redis: Redis, stop: threading.Event) -> None:
    interval = app.config["QBO_SWEEP_INTERVAL_SECONDS"]
    while not stop.wait(interval):
        try:
            enqueue_sweep(app, redis)
        except Exception:  # Redis away for a moment: try again next interval
            logging.getLogger(__name__).exception("could not enqueue the sweeper")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="run queued jobs, then exit")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    app = create_app()
    check_secrets(app.config)  # jobs encrypt QuickBooks tokens with a key derived from it
    with app.app_context():
        import webapp.quickbooks.cdc_jobs  # noqa: F401
        import webapp.quickbooks.jobs  # noqa: F401  (preload: forked jobs start warm)
        import webapp.quickbooks.sweeper  # noqa: F401

        # No database connection may cross the fork into job processes.
        db.engine.dispose()
        redis = Redis.from_url(app.config["REDIS_URL"])
        worker = Worker(app.config["RQ_QUEUES"], connection=redis)
        stop = threading.Event()
        if args.burst:
            enqueue_sweep(app, redis)
        else:
            threading.Thread(target=sweep_forever, args=(app, redis, stop), daemon=True).start()
        try:
            worker.work(burst=args.burst, with_scheduler=True)
        finally:
            stop.set()


if __name__ == "__main__":
    main()
