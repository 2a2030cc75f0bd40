"""Requests read only the objects they need (indexes), and an older data file is re-indexed on start."""

from __future__ import annotations

import pytest
from emu_helpers import Api

from qbo_emulator import create_app
from qbo_emulator.index import INDEX_TABLES


@pytest.fixture
def full_scans(emu_app, monkeypatch):
    """Record every entity that some code listed in full (Store.list) during the test."""
    store = emu_app.extensions["qbo_emulator"].store
    listed: list[str] = []
    original = store.list

    def listing(realm_id, entity, include_deleted=False):
        listed.append(entity)
        return original(realm_id, entity, include_deleted)

    monkeypatch.setattr(store, "list", listing)
    return listed


def test_the_sync_path_never_reads_a_whole_entity(api, full_scans):
    customer = api.customer("Acme Dental LLC")
    invoice = api.invoice(customer["Id"], 450)
    api.ok(api.payment(customer["Id"], 450, [(invoice["Id"], 450)]))
    found = api.q(
        f"select * from Invoice where DocNumber = '{invoice['DocNumber']}' "
        f"and CustomerRef = '{customer['Id']}'"
    )
    assert [i["Id"] for i in found["Invoice"]] == [invoice["Id"]]
    assert api.q("select * from Customer where DisplayName = 'ACME dental llc'")["Customer"]
    assert api.q("select * from Account where AccountSubType = 'UndepositedFunds'")["Account"]
    assert api.q("select count(*) from Payment") == {"totalCount": 1}
    assert len(api.q("select * from Payment maxresults 10")["Payment"]) == 1
    api.ok(api.get(f"customer/{customer['Id']}"))
    assert full_scans == []


def test_indexed_queries_answer_exactly_like_a_full_scan(api):
    acme = api.customer("Acme")
    other = api.customer("Other")
    one = api.invoice(acme["Id"], 100, DocNumber="A-1")
    api.invoice(other["Id"], 100, DocNumber="a-1 ")
    api.invoice(acme["Id"], 250, DocNumber="1001")
    by_doc = api.q("select * from Invoice where DocNumber = 'A-1'")["Invoice"]
    assert [i["Id"] for i in by_doc] == [one["Id"]]  # trimmed keys find both, the check keeps one
    assert len(api.q("select * from Invoice where DocNumber = 1001")["Invoice"]) == 1
    assert len(api.q("select * from Invoice where TotalAmt = '250.00'")["Invoice"]) == 1
    ids = f"'{one['Id']}', '{acme['Id']}', '99999'"
    assert [i["Id"] for i in api.q(f"select * from Invoice where Id in ({ids})")["Invoice"]] == [
        one["Id"]
    ]
    both = api.q(f"select * from Invoice where CustomerRef in ('{acme['Id']}', '{other['Id']}')")
    assert len(both["Invoice"]) == 3
    assert (
        api.q(f"select * from Invoice where CustomerRef = '{other['Id']}' and TotalAmt > 100") == {}
    )


def test_balances_follow_every_change_without_recomputing(api, control, realm):
    customer = api.customer()
    invoice = api.invoice(customer["Id"], 300)
    payment = api.ok(api.payment(customer["Id"], 400, [(invoice["Id"], 300)]), "Payment")
    assert api.ok(api.get(f"customer/{customer['Id']}"), "Customer")["Balance"] == -100
    uf = api.q("select * from Account where Id = '4'")["Account"][0]
    assert uf["CurrentBalance"] == 400
    api.ok(api.post("payment", {"Id": payment["Id"], "SyncToken": "0"}, operation="delete"))
    assert api.ok(api.get(f"customer/{customer['Id']}"), "Customer")["Balance"] == 300
    assert api.q("select * from Account where Id = '4'")["Account"][0]["CurrentBalance"] == 0


def test_a_data_file_without_indexes_is_reindexed_on_start(tmp_path, clock):
    config = {"DATABASE": str(tmp_path / "old.db"), "WEBHOOK_BACKGROUND_DELIVERY": False}
    app = create_app(config, clock=clock)
    control = app.extensions["qbo_emulator"].control
    realm = control.demo_realm_id()
    api = Api(app.test_client(), control, realm)
    customer = api.customer("Kept Co")
    invoice = api.invoice(customer["Id"], 80)
    api.ok(api.payment(customer["Id"], 50, [(invoice["Id"], 50)]))
    store = app.extensions["qbo_emulator"].store
    with store.tx():  # what a data file written before the indexes existed looks like
        for table in INDEX_TABLES:
            store.execute(f"DELETE FROM {table}")
        store.execute("PRAGMA user_version = 0")
    store.conn.close()

    app = create_app(config, clock=clock)
    api = Api(app.test_client(), app.extensions["qbo_emulator"].control, realm)
    assert (
        api.q("select * from Customer where DisplayName = 'Kept Co'")["Customer"][0]["Balance"]
        == 30
    )
    assert api.post("customer", {"DisplayName": "kept co"}).status_code == 400  # 6240 again
    paid = api.q(f"select * from Invoice where CustomerRef = '{customer['Id']}'")["Invoice"]
    assert paid[0]["Balance"] == 30
