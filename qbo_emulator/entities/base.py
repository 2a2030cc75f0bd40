"""Generic entity operations: create, read, full/sparse update, delete, void.

Per-entity business rules live in `names.py`, `sales.py` and `payments.py` as `Rules`
subclasses registered in `REGISTRY`.
"""

from __future__ import annotations

import copy
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .. import faults
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
        return self.store.list(self.realm_id, entity)

    def rules(self, entity: str) -> Rules:
        return REGISTRY[entity]

    def render(self, entity: str, objs: list[dict]) -> list[dict]:
        """Return objects as the API shows them: computed fields filled, private keys dropped."""
        objs = [copy.deepcopy(o) for o in objs]
        objs = REGISTRY[entity].decorate(self, objs)
        return [{k: v for k, v in o.items() if not k.startswith("_")} for o in objs]

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

    def emit(self, entity: str, entity_id: str, operation: str) -> None:
        self._emit(self.realm_id, entity, str(entity_id), operation)

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
        self.emit(entity, obj["Id"], operation)
        return obj

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
            # Full update: writable fields left out become NULL (qbo-api.md section 3.2).
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
