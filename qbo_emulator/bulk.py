"""Batch (`POST /batch`) and change data capture (`GET /cdc`): many objects in one call."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, request

from . import faults
from .accounting import _json_body, api_call, bp, run_query
from .clock import parse_datetime, utc_iso
from .entities import REGISTRY

BATCH_LIMIT = 30  # [V] items per batch call
CDC_DAYS = 30  # [V] look-back window
CDC_MAX = 1000  # [V] "Server responses can handle a maximum of 1,000 objects"


@bp.post("/batch")
def batch(realm):
    """Run up to 30 independent operations; each failure is its own Fault and the HTTP status stays 200.

    A `requestid` on the batch call is honoured like on any call (accounting.api_call): the same
    batch sent again gets the stored answer and nothing runs twice.
    """

    def work(books):
        items = _json_body().get("BatchItemRequest")
        if not isinstance(items, list) or not items:
            raise faults.required("BatchItemRequest")
        if len(items) > BATCH_LIMIT:
            raise faults.QBOFault(
                "1040",
                "Batch size exceeds allowed limit",
                f"A batch may contain at most {BATCH_LIMIT} items",
            )
        bids = [item.get("bId") for item in items if isinstance(item, dict) and item.get("bId")]
        repeated = sorted({str(b) for b in bids if bids.count(b) > 1})
        if repeated:
            # Intuit requires unique bIds; refusing the whole call (nothing run) is our choice.
            raise faults.unsupported(f"bId must be unique within a batch: {', '.join(repeated)}")
        out = []
        for item in items:
            bid = item.get("bId") if isinstance(item, dict) else None
            out.append({"bId": bid, **_batch_item(books, item)})
        return {"BatchItemResponse": out}

    items = (request.get_json(silent=True, force=True) or {}).get("BatchItemRequest") or []
    has_writes = any(isinstance(i, dict) and i.get("operation") for i in items)
    return api_call(realm, work, write=has_writes, batch=True)


def _batch_item(books, item: dict) -> dict:
    """One item in its own savepoint: its fault rolls back only its own writes."""
    try:
        with books.store.savepoint():
            if not isinstance(item, dict):
                raise faults.malformed()
            if not item.get("bId"):
                raise faults.required("bId")
            if "Query" in item:
                return run_query(books, item["Query"])
            operation = (item.get("operation") or "").lower()
            names = [k for k in item if k in REGISTRY]
            if not names or operation not in ("create", "update", "delete"):
                raise faults.unsupported(
                    "Batch item needs an operation (create, update, delete) and one entity"
                )
            name = names[0]
            include = "void" if (item.get("optionsData") or "").lower() == "void" else None
            return {name: books.write(name, item[name], operation, include)}
    except faults.QBOFault as fault:
        return fault.body()
    except faults.MALFORMED_BODY_ERRORS:
        return faults.malformed().body()


def _since() -> object:
    text = request.args.get("changedSince")
    if not text:
        raise faults.required("changedSince")
    try:
        # An unencoded "+" of a UTC offset arrives as a space.
        return parse_datetime(text.replace(" ", "+"))
    except ValueError:
        raise faults.business(
            "changedSince is not a valid date-time", element="changedSince"
        ) from None


def _tombstone(obj: dict) -> dict:
    return {
        "Id": str(obj["Id"]),
        "status": "Deleted",
        "domain": "QBO",
        "MetaData": {"LastUpdatedTime": obj.get("MetaData", {}).get("LastUpdatedTime")},
    }


@bp.get("/cdc")
def cdc(realm):
    """Objects changed since `changedSince` (at most 30 days back), deleted ones as tombstones.

    Oldest change first; at most 1,000 objects in the whole response (CDC_LIMIT_SCOPE "response",
    Intuit's wording) or per entity ("entity"). A client that gets the cap continues from the last
    object's MetaData.LastUpdatedTime: changes at that same time come again, none are skipped.
    """

    def work(books):
        names = [n.strip() for n in request.args.get("entities", "").split(",") if n.strip()]
        if not names:
            raise faults.required("entities")
        since = _since()
        if books.now() - since > timedelta(days=CDC_DAYS):
            raise faults.business(
                f"Operation cdc with changedSince date {request.args['changedSince']} which is "
                "older than fixed days is not supported. changedSince cannot be more than 30 days ago",
                element="changedSince",
            )
        per_entity = current_app.config["CDC_LIMIT_SCOPE"] == "entity"
        responses, left = [], CDC_MAX
        for raw_name in names:
            name = next((n for n in REGISTRY if n.lower() == raw_name.lower()), None)
            if name is None:
                raise faults.business(f"{raw_name} is not supported by CDC", element="entities")
            cap = CDC_MAX if per_entity else left
            changed = (
                books.store.changed_since(books.realm_id, name, utc_iso(since), cap) if cap else []
            )
            live = books.render(name, [obj for obj, deleted in changed if not deleted])
            by_id = {str(o["Id"]): o for o in live}
            objs = [
                _tombstone(obj) if deleted else by_id[str(obj["Id"])] for obj, deleted in changed
            ]
            left -= len(objs)
            responses.append(
                {name: objs, "startPosition": 1, "maxResults": len(objs)} if objs else {}
            )
        return {"CDCResponse": [{"QueryResponse": responses}]}

    return api_call(realm, work)
