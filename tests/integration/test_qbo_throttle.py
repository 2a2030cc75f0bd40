"""The limiter against the emulator over HTTP: a 429 that slips through slows the company."""

from redis import Redis

from tests.support.qbo import make_scheduled_jobs_due
from webapp.models import SyncStatus
from webapp.quickbooks.sync import request_sync
from webapp.quickbooks.throttle import RealmThrottle


def test_a_429_slows_the_limiter_and_the_row_is_retried_not_failed(
    qbo_app, qbo_firm, paid_invoice, run_jobs
):
    redis = Redis.from_url(qbo_app.config["REDIS_URL"])
    throttle = RealmThrottle.from_config(redis, qbo_firm.realm_id, qbo_app.config)
    assert not throttle.cooling_down()
    qbo_firm.emulator.control.set_faults(qbo_firm.realm_id, error_429_rate=1.0)
    request_sync(paid_invoice, qbo_firm.user)
    run_jobs(max_jobs=1)
    assert throttle.cooling_down()  # every worker of this company now runs at half the limits
    assert paid_invoice.qbo_status is SyncStatus.SYNCING  # waiting for its retry, not Failed
    qbo_firm.emulator.control.set_faults(qbo_firm.realm_id, error_429_rate=0.0)
    make_scheduled_jobs_due(redis, qbo_app.config["RQ_QUEUES"])  # Intuit's minute is over
    run_jobs()
    assert paid_invoice.qbo_status is SyncStatus.SYNCED
    assert len(qbo_firm.entities("Payment")) == 1
