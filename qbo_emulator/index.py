"""Indexes kept beside the JSON documents, so a request costs about the same at 100 or 100,000 objects.

- `fields`: one row per (object, indexed field) with a normalised value, so a query's `=` / `IN`
  conditions and the DisplayName uniqueness check find their objects without reading the others.
- `links`: one row per `Line[].LinkedTxn[]` entry (Payment -> Invoice, Deposit -> Payment), so an
  invoice's applied amount and a payment's deposit are found directly.
- `contributions` / `ledger`: what each live transaction adds to a customer's or an account's
  balance, and the running totals, so a balance is one lookup instead of a pass over every transaction.

Every write goes through `Store.put`, inside the same SQLite transaction as the document, so a
rolled-back batch item rolls its index rows back too.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal, InvalidOperation

SCHEMA = """
CREATE TABLE IF NOT EXISTS fields (
    realm_id TEXT NOT NULL, entity TEXT NOT NULL, id TEXT NOT NULL, field TEXT NOT NULL, value,
    PRIMARY KEY (realm_id, entity, id, field)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS fields_by_value ON fields (realm_id, entity, field, value);
CREATE TABLE IF NOT EXISTS links (
    realm_id TEXT NOT NULL, entity TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,
    target_entity TEXT, target_id TEXT, amount REAL);
CREATE INDEX IF NOT EXISTS links_by_target ON links (realm_id, target_entity, target_id);
CREATE INDEX IF NOT EXISTS links_by_source ON links (realm_id, entity, id);
CREATE TABLE IF NOT EXISTS contributions (
    realm_id TEXT NOT NULL, entity TEXT NOT NULL, id TEXT NOT NULL, account TEXT NOT NULL,
    cents INTEGER NOT NULL, PRIMARY KEY (realm_id, entity, id, account)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ledger (
    realm_id TEXT NOT NULL, account TEXT NOT NULL, cents INTEGER NOT NULL,
    PRIMARY KEY (realm_id, account)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entities_in_order ON entities (realm_id, entity, deleted, CAST(id AS INTEGER));
CREATE INDEX IF NOT EXISTS entities_changed ON entities (realm_id, entity, updated_at);
CREATE INDEX IF NOT EXISTS webhook_events_pending ON webhook_events (status, realm_id, client_id, id);
CREATE INDEX IF NOT EXISTS request_log_by_realm ON request_log (realm_id, id);
"""
# Bumped whenever the index tables change meaning; an older data file is re-indexed on start.
VERSION = 2
INDEX_TABLES = ("fields", "links", "contributions", "ledger")
# Sub-fields compared when a query names an object-valued property (refs, emails, phones).
OBJECT_KEYS = ("value", "Address", "FreeFormNumber")
CHUNK = 500  # SQLite host parameters per statement, well under its limit


def field_value(obj: dict, name: str):
    """The value a query compares for `name` (dotted paths; refs compare on their `value`)."""
    value = obj
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, dict):
        for key in OBJECT_KEYS:
            if key in value:
                return value[key]
    return value


def norm(value):
    """The stored key of a value: numbers as floats, booleans as 0/1, text trimmed and lower-cased."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    return str(value).strip().lower()


def literal_keys(value) -> list:
    """Every stored key a query literal could equal; the query then checks each object exactly."""
    keys = {norm(value)}
    if isinstance(value, Decimal):
        keys.add(str(value).lower())
        if value == value.to_integral_value():
            keys.add(str(int(value)))
    elif isinstance(value, str):
        with contextlib.suppress(InvalidOperation, ValueError):
            keys.add(float(Decimal(value.strip())))
    return [k for k in keys if k is not None]


def chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def write(store, realm_id: str, entity: str, obj: dict, deleted: bool, fields) -> None:
    """Replace the index rows of one object (a deleted object keeps none)."""
    key = (realm_id, entity, str(obj["Id"]))
    store.execute("DELETE FROM fields WHERE realm_id = ? AND entity = ? AND id = ?", key)
    store.execute("DELETE FROM links WHERE realm_id = ? AND entity = ? AND id = ?", key)
    if deleted:
        set_contributions(store, realm_id, entity, str(obj["Id"]), {})
        return
    rows = []
    for name in fields:
        value = norm(field_value(obj, name))
        if value is not None:
            rows.append((*key, name, value))
    store.conn.executemany("INSERT INTO fields VALUES (?,?,?,?,?)", rows)
    links, seq = [], 0
    for line in obj.get("Line") or []:
        if not isinstance(line, dict):
            continue
        for link in line.get("LinkedTxn") or []:
            if isinstance(link, dict):
                seq += 1
                amount = line.get("Amount")
                amount = float(amount) if isinstance(amount, (int, float)) else 0.0
                links.append((*key, seq, link.get("TxnType"), str(link.get("TxnId")), amount))
    store.conn.executemany("INSERT INTO links VALUES (?,?,?,?,?,?,?)", links)


def find(store, realm_id: str, entity: str, field: str, keys: list) -> set[str]:
    """Ids of live objects whose indexed `field` has one of the stored `keys`."""
    found: set[str] = set()
    for part in chunks(keys):
        marks = ",".join("?" * len(part))
        rows = store.all(
            f"SELECT id FROM fields WHERE realm_id = ? AND entity = ? AND field = ? AND value IN ({marks})",
            (realm_id, entity, field, *part),
        )
        found.update(r["id"] for r in rows)
    return found


def candidates(store, realm_id: str, entity: str, where, fields) -> set[str] | None:
    """Ids that can satisfy the `=` / `IN` conditions on Id or indexed fields; None if none apply.

    The set may hold more than the answer (keys are normalised), never less: the query still
    checks every object against the whole WHERE clause.
    """
    found = None
    for name, op, wanted in where:
        if op not in ("=", "IN"):
            continue
        values = wanted if op == "IN" else [wanted]
        if name == "Id":
            ids = set()
            for value in values:
                ids.add(str(value).strip())
                if isinstance(value, Decimal) and value == value.to_integral_value():
                    ids.add(str(int(value)))
        elif name in fields:
            keys = [k for value in values for k in literal_keys(value)]
            ids = find(store, realm_id, entity, name, keys)
        else:
            continue
        found = ids if found is None else found & ids
    return found


def linked_to(store, realm_id: str, entity: str, target_entity: str, target_id: str):
    """[(source id, line amount)] of `entity` objects whose lines link to the target, in Id order."""
    rows = store.all(
        "SELECT id, amount FROM links WHERE realm_id = ? AND target_entity = ? AND target_id = ? "
        "AND entity = ? ORDER BY CAST(id AS INTEGER), seq",
        (realm_id, target_entity, str(target_id), entity),
    )
    return [(r["id"], r["amount"]) for r in rows]


def to_cents(amount: Decimal) -> int:
    return int((Decimal(amount) * 100).to_integral_value())


def set_contributions(store, realm_id: str, entity: str, entity_id: str, amounts: dict) -> None:
    """Replace what one transaction adds to balances (`{"Customer:58": Decimal, ...}`)."""
    key = (realm_id, entity, entity_id)
    for row in store.all(
        "SELECT account, cents FROM contributions WHERE realm_id = ? AND entity = ? AND id = ?", key
    ):
        store.execute(
            "UPDATE ledger SET cents = cents - ? WHERE realm_id = ? AND account = ?",
            (row["cents"], realm_id, row["account"]),
        )
    store.execute("DELETE FROM contributions WHERE realm_id = ? AND entity = ? AND id = ?", key)
    for account, amount in amounts.items():
        cents = to_cents(amount)
        if not cents:
            continue
        store.execute("INSERT INTO contributions VALUES (?,?,?,?,?)", (*key, account, cents))
        store.execute(
            "INSERT INTO ledger VALUES (?,?,?) ON CONFLICT (realm_id, account) "
            "DO UPDATE SET cents = cents + excluded.cents",
            (realm_id, account, cents),
        )


def balances(store, realm_id: str, accounts: list[str]) -> dict[str, Decimal]:
    """Running balances of `accounts` ("Customer:<id>", "Account:<id>"); missing ones are 0."""
    out: dict[str, Decimal] = {}
    for part in chunks(accounts):
        marks = ",".join("?" * len(part))
        for row in store.all(
            f"SELECT account, cents FROM ledger WHERE realm_id = ? AND account IN ({marks})",
            (realm_id, *part),
        ):
            out[row["account"]] = Decimal(row["cents"]) / 100
    return out


def wipe(store, realm_id: str) -> None:
    for table in INDEX_TABLES:
        store.execute(f"DELETE FROM {table} WHERE realm_id = ?", (realm_id,))
