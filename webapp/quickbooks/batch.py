"""Batch calls: up to 30 independent operations in one request, each row with its own `bId`.

A batch counts as one request of the 500 a minute and one of the 40 batch calls a minute, so
30 rows cost what one row costs one at a time. Its `requestid` is a digest of its content: a
batch whose answer was lost is resent as the same request and QuickBooks answers with what it
made the first time (docs/quickbooks.md, section 5).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time

from . import mapping
from .client import quote
from .errors import QboUnavailable

log = logging.getLogger(__name__)

BATCH_SIZE = 30  # Intuit's limit of items per batch call
# A lost answer is resent at once as the same request, after these pauses (seconds).
RESEND_PAUSES = (0.5, 2.0)
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(number: int) -> str:
    text = ""
    while number:
        number, digit = divmod(number, 36)
        text = _DIGITS[digit] + text
    return text or "0"


def batch_id(record) -> str:
    """The row's own id in a batch (`bId`, at most 10 characters for Intuit): type, id, generation."""
    value = (
        f"{type(record).RECORD_TYPE[0]}{_base36(record.id)}g{_base36(record.qbo_sync_generation)}"
    )
    if len(value) > 10:
        raise ValueError(f"bId too long: {value}")
    return value


def batch_requestid(namespace: str, items: list[dict]) -> str:
    """The batch call's requestid (36 characters, Intuit's limit in batch): a digest of what it sends.

    The same rows in the same state give the same body and so the same id, which makes a resent
    batch a replay. Anything different (a row linked meanwhile, a new generation) is a new request.
    """
    digest = hashlib.sha256(
        json.dumps([namespace, items], sort_keys=True, default=str).encode()
    ).hexdigest()
    return f"lbb-{digest[:32]}"


def query_in(ctx, entity: str, field: str, values, extra: str = "") -> list[dict]:
    """SELECT the objects whose `field` is one of `values` (1000 values a query at most)."""
    values = sorted({str(v) for v in values if v is not None})
    found: list[dict] = []
    for start in range(0, len(values), 1000):
        chunk = ", ".join(quote(v) for v in values[start : start + 1000])
        where = f"{field} IN ({chunk})" + (f" AND {extra}" if extra else "")
        found.extend(ctx.client.query(entity, where))
    return found


def send_items(ctx, entity: str, operation: str, rows_and_bodies) -> tuple[dict, list]:
    """Send one batch; resend it (same requestid) while its answer is lost.

    Returns:
        (each row's answer by bId, the rows QBO did not answer for).

    Raises:
        QboUnavailable: still no answer after the resends (the caller retries later).
    """
    items = [
        {"bId": batch_id(row), "operation": operation, entity: body}
        for row, body in rows_and_bodies
    ]
    requestid = batch_requestid(mapping.firm_namespace(ctx.firm), items)
    for pause in (*RESEND_PAUSES, None):
        try:
            answers = ctx.client.batch(items, requestid)
            break
        except QboUnavailable as error:
            if pause is None:
                raise
            log.info("batch %s lost its answer (%s); resending it", requestid, error)
            time.sleep(pause)
    unanswered = [row for row, _ in rows_and_bodies if batch_id(row) not in answers]
    return answers, unanswered
