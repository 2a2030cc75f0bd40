"""Generic entity operations: create, read, full/sparse update, delete, void.

Per-entity business rules live in `names.py`, `sales.py` and `payments.py` as `Rules`
subclasses registered in `REGISTRY`.
"""

from __future__ import annotations

import copy
import json
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .. import faults, index
from ..clock import qbo_date, qbo_datetime

REGISTRY: dict[str, Rules] = {}
ENTITY_BY_PATH: dict[str, str] = {}

USD = {"value": "USD", "name": "United States Dollar"}


def register(rules_cls):
    rules = rules_cls()
    REGISTRY[rules.entity] = rules
    ENTITY_BY_PATH[rules.entity.lower()] = rules.entity
    return rules_cls


def money(value, element: str = "Amount") -> Decimal:
    """Parse an amount to Decimal (cents), or raise a 2020/6000 fault."""
    if value is None or value == "":
        raise faults.required(element)
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise faults.business(f"{element} must be a number", element=element) from None
    if not amount.is_finite():
        raise faults.business(f"{element} must be a number", element=element)
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def num(amount: Decimal):
    """Render an amount as a JSON number."""
    return float(amount)


class Rules:
    """Hooks for one entity type; the defaults suit a simple name-list entity."""

    entity = ""
    kind = "name"  # "name" (deactivate only), "txn" (delete/void), "singleton"
    voidable = False
    readonly = ("Id", "SyncToken", "MetaData", "domain", "sparse")
    filterable: tuple[str, ...] = ()
    # Filterable fields filled in by `decorate` when read, not stored: never indexed.
    computed: tuple[str, ...] = ()

    def indexed(self) -> tuple[str, ...]:
        """Stored filterable fields kept in the `fields` index (Id is the primary key already)."""
        skip = ("Id",) + self.computed
        return tuple(f for f in self.filterable if f not in skip and not f.startswith("MetaData."))

    def contributions(self, books: Books, obj: dict) -> dict:
        """What this live object adds to customer and account balances ({"Account:4": Decimal})."""
        return {}

    def prepare(self, books: Books, obj: dict, old: dict | None) -> dict:
        return obj

    def after_write(self, books: Books, obj: dict | None, old: dict | None) -> None:
        return None

    def before_delete(self, books: Books, obj: dict) -> None:
        return None

    def void(self, books: Books, obj: dict) -> dict:
        raise faults.unsupported(f"Operation void is not supported for {self.entity}")

    def decorate(self, books: Books, objs: list[dict]) -> list[dict]:
        return objs


def indexed_fields() -> dict[str, tuple[str, ...]]:
    return {name: rules.indexed() for name, rules in REGISTRY.items()}


class Books:
    """One company's books for the length of one request (or page action)."""

    def __init__(self, store, realm_id: str, clock, emit):
        self.store = store
        self.realm_id = realm_id
        self.clock = clock
        self._emit = emit
        self._cache: dict = {}

    # Reading -----------------------------------------------------------------

    def now(self):
        return self.clock.now()

    def today(self) -> str:
        return qbo_date(self.clock.now())

    def get(self, entity: str, entity_id) -> dict | None:
        return self.store.get(self.realm_id, entity, str(entity_id))

    def all(self, entity: str) -> list[dict]:
        """Every live object of an entity: for pages and full scans, never for one write's checks."""
        return self.store.list(self.realm_id, entity)

    def find(self, entity: str, field: str, value) -> list[dict]:
        """Live objects whose indexed `field` equals `value` (trimmed, case-insensitive), in Id order."""
        ids = index.find(self.store, self.realm_id, entity, field, index.literal_keys(value))
        wanted = index.norm(value)
        return [
            obj
            for obj in self.store.get_many(self.realm_id, entity, ids)
            if index.norm(index.field_value(obj, field)) == wanted
        ]

    def balances(self, accounts: list[str]) -> dict[str, Decimal]:
        """Running balances ("Customer:<id>", "Account:<id>") kept by the ledger index."""
        return index.balances(self.store, self.realm_id, accounts)

    def rules(self, entity: str) -> Rules:
        return REGISTRY[entity]

    def render(self, entity: str, objs: list[dict]) -> list[dict]:
        """Return objects as the API shows them: computed fields filled, private keys dropped."""
        objs = [copy.deepcopy(o) for o in objs]
        objs = REGISTRY[entity].decorate(self, objs)
        self._current_customer_names(objs)
        return [{k: v for k, v in o.items() if not k.startswith("_")} for o in objs]

    def _current_customer_names(self, objs: list[dict]) -> None:
        """A ref shows the customer's name of today (it may have been renamed since the write)."""
        refs = [o["CustomerRef"] for o in objs if isinstance(o.get("CustomerRef"), dict)]
        ids = {str(r["value"]) for r in refs if r.get("value")}
        if not ids:
            return
        names = {
            str(c["Id"]): c.get("DisplayName")
            for c in self.store.get_many(self.realm_id, "Customer", ids)
        }
        for ref in refs:
            if names.get(str(ref.get("value"))):
                ref["name"] = names[str(ref["value"])]

    def read(self, entity: str, entity_id) -> dict:
        obj = self.get(entity, entity_id)
        if obj is None:
            raise faults.not_found(entity, str(entity_id))
        return self.render(entity, [obj])[0]

    def ref(self, obj: dict, field: str, entity: str, required: bool = False, active: bool = True):
        """Resolve `obj[field]` (a {value, name} ref) to an existing, active object."""
        ref = obj.get(field)
        if isinstance(ref, str):
            ref = {"value": ref}
        if not ref or not isinstance(ref, dict) or not ref.get("value"):
            if required:
                raise faults.required(field)
            obj.pop(field, None)
            return None
        target = self.get(entity, ref["value"])
        if target is None:
            raise faults.not_found(entity, str(ref["value"]))
        if active and target.get("Active") is False:
            raise faults.not_found(entity, str(ref["value"]), inactive=True)
        name = target.get("DisplayName") or target.get("Name") or target.get("FullyQualifiedName")
        obj[field] = (
            {"value": str(target["Id"]), "name": name} if name else {"value": str(target["Id"])}
        )
        return target

    # Writing -----------------------------------------------------------------

    def emit(self, entity: str, entity_id: str, operation: str, **detail) -> None:
        """Queue the webhook event of a change (`deleted_id=` for a Merge)."""
        self._emit(self.realm_id, entity, str(entity_id), operation, **detail)

    def _stamp(self, obj: dict, created: bool) -> None:
        stamp = qbo_datetime(self.now())
        meta = dict(obj.get("MetaData") or {})
        if created:
            meta["CreateTime"] = stamp
        meta["LastUpdatedTime"] = stamp
        obj["MetaData"] = meta
        obj["domain"] = "QBO"
        obj["sparse"] = False

    def save(self, entity: str, obj: dict, operation: str, old: dict | None = None) -> dict:
        """Store an already validated object, bump its SyncToken and fire the webhook event."""
        if operation == "Create":
            obj["Id"] = self.store.next_id(self.realm_id)
            obj["SyncToken"] = "0"
        else:
            obj["SyncToken"] = str(int(obj.get("SyncToken") or 0) + 1)
        self._stamp(obj, created=operation == "Create")
        self.store.put(self.realm_id, entity, obj)
        self.index_balances(entity, obj)
        self.emit(entity, obj["Id"], operation)
        return obj

    def index_balances(self, entity: str, obj: dict) -> None:
        amounts = REGISTRY[entity].contributions(self, obj)
        if amounts or REGISTRY[entity].kind == "txn":
            index.set_contributions(self.store, self.realm_id, entity, str(obj["Id"]), amounts)

    def _check_version(self, entity: str, body: dict) -> dict:
        if not body.get("Id"):
            raise faults.required("Id")
        old = self.get(entity, body["Id"])
        if old is None:
            raise faults.not_found(entity, str(body["Id"]))
        if body.get("SyncToken") is None:
            raise faults.required("SyncToken")
        if str(body["SyncToken"]) != str(old["SyncToken"]):
            raise faults.stale(entity)
        return old

    def create(self, entity: str, body: dict) -> dict:
        rules = REGISTRY[entity]
        if rules.kind == "singleton":
            raise faults.unsupported(f"Create is not supported for {entity}")
        obj = {k: v for k, v in body.items() if k not in rules.readonly and not k.startswith("_")}
        obj = rules.prepare(self, obj, None)
        obj = self.save(entity, obj, "Create")
        rules.after_write(self, obj, None)
        return self.read(entity, obj["Id"])

    def update(self, entity: str, body: dict) -> dict:
        rules = REGISTRY[entity]
        old = self._check_version(entity, body)
        sent = {k: v for k, v in body.items() if k not in rules.readonly and not k.startswith("_")}
        if str(body.get("sparse")).lower() == "true":
            obj = copy.deepcopy(old)
            obj.update(sent)
        else:
            # Full update: writable fields left out become NULL (every Intuit entity reference says so).
            obj = {k: v for k, v in old.items() if k in rules.readonly or k.startswith("_")}
            obj.update(sent)
        obj = rules.prepare(self, obj, old)
        obj = self.save(entity, obj, "Update", old)
        rules.after_write(self, obj, old)
        return self.read(entity, obj["Id"])

    def delete(self, entity: str, body: dict) -> dict:
        rules = REGISTRY[entity]
        if rules.kind != "txn":
            raise faults.business(
                f"Deleting a {entity} is not supported; make it inactive with Active=false instead."
            )
        old = self._check_version(entity, body)
        rules.before_delete(self, old)
        tomb = copy.deepcopy(old)
        self._stamp(tomb, created=False)
        self.store.put(self.realm_id, entity, tomb, deleted=True)
        self.emit(entity, old["Id"], "Delete")
        rules.after_write(self, None, old)
        return {"status": "Deleted", "domain": "QBO", "Id": str(old["Id"])}

    def retire(self, entity: str, obj: dict) -> None:
        """Keep a name-list object only as a deleted tombstone (a customer merged into another)."""
        tomb = copy.deepcopy(obj)
        self._stamp(tomb, created=False)
        self.store.put(self.realm_id, entity, tomb, deleted=True)

    def void(self, entity: str, body: dict) -> dict:
        rules = REGISTRY[entity]
        if not rules.voidable:
            raise faults.unsupported(f"Operation void is not supported for {entity}")
        old = self._check_version(entity, body)
        if old.get("_voided"):
            raise faults.business("This transaction has already been voided.")
        obj = rules.void(self, copy.deepcopy(old))
        obj["_voided"] = True
        note = obj.get("PrivateNote") or ""
        obj["PrivateNote"] = f"Voided - {note}" if note else "Voided"
        obj = self.save(entity, obj, "Void", old)
        rules.after_write(self, obj, old)
        return self.read(entity, obj["Id"])

    def write(self, entity: str, body: dict, operation: str | None, include: str | None) -> dict:
        """Dispatch a POST /{entity} by its `operation` / `include` query parameters."""
        if not isinstance(body, dict):
            raise faults.unsupported("Request body must be a JSON object")
        operation = (operation or "").lower()
        if operation == "delete":
            return self.delete(entity, body)
        if operation == "void" or (include or "").lower() == "void":
            return self.void(entity, body)
        if operation not in ("", "update", "create"):
            raise faults.unsupported(f"Operation {operation} is not supported")
        if body.get("Id") and operation != "create":
            return self.update(entity, body)
        return self.create(entity, body)


def rebuild_indexes(store, clock) -> None:
    """Index every stored object again: a data file written before the index tables existed
    (or by an older version of them) keeps working after an upgrade."""
    with store.tx():
        for table in index.INDEX_TABLES:
            store.execute(f"DELETE FROM {table}")
        rows = store.all("SELECT realm_id, entity, data, deleted FROM entities")
        objs = [(r["realm_id"], r["entity"], json.loads(r["data"]), r["deleted"]) for r in rows]
        for realm_id, entity, obj, deleted in objs:
            fields = store.indexed.get(entity, ())
            index.write(store, realm_id, entity, obj, bool(deleted), fields)
        # Balances last: a deposit's share reads its payments, an invoice's the A/R account.
        for realm_id, entity, obj, deleted in objs:
            if not deleted and entity in REGISTRY:
                Books(store, realm_id, clock, lambda *args: None).index_balances(entity, obj)
        store.mark_indexed()
