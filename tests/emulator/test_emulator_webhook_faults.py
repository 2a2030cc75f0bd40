"""CloudEvents by default, and the webhook faults an app must survive: drop, duplicate, reorder, delay."""

from __future__ import annotations

import json

from emu_helpers import Receiver

from qbo_emulator import create_app
from qbo_emulator.__main__ import main as cli_main
from qbo_emulator.webhooks import sign

TOKEN = "verify_me"


def deliveries(rec: Receiver) -> list[tuple[str, str]]:
    """(type, entity id) of every CloudEvent received, in arrival order."""
    out = []
    for headers, body in rec.received:
        assert headers["Intuit-Signature"] == sign(body, TOKEN)
        out += [(e["type"], e["intuitentityid"]) for e in json.loads(body)]
    return out


def test_cloudevents_is_the_default_format(manual_emu, receiver):
    api, control = manual_emu, manual_emu.control
    control.set_webhook("ledgerbridge-demo", receiver.url, TOKEN)
    customer = api.customer()
    control.deliver_webhooks()
    assert deliveries(receiver) == [("qbo.customer.created.v1", customer["Id"])]


def test_clients_configured_at_start_get_cloudevents_unless_told_otherwise(tmp_path, clock):
    client = {
        "client_id": "other",
        "client_secret": "s",
        "redirect_uris": [],
        "webhook_url": "http://127.0.0.1:9/hook",
        "verifier_token": TOKEN,
    }
    for config, expected in (({}, "cloudevents"), ({"WEBHOOK_FORMAT": "legacy"}, "legacy")):
        config = {"DATABASE": str(tmp_path / "f.db"), "CLIENTS": [client], **config}
        app = create_app(config, clock=clock)
        store = app.extensions["qbo_emulator"].store
        row = store.one("SELECT webhook_format FROM apps WHERE client_id = 'other'")
        assert row["webhook_format"] == expected
        app.extensions["qbo_emulator"].dispatcher.stop()
        store.conn.close()


def test_cli_refuses_an_unknown_webhook_format(capsys):
    try:
        cli_main(["--webhook-format", "xml"])
    except SystemExit as exit:
        assert exit.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_dropped_events_are_never_sent(manual_emu, receiver):
    api, control, realm = manual_emu, manual_emu.control, manual_emu.realm
    control.set_webhook("ledgerbridge-demo", receiver.url, TOKEN)
    control.set_faults(realm, webhook_drop_rate=1.0)
    api.customer("Lost")
    control.clear_faults(realm)
    kept = api.customer("Kept")
    control.deliver_webhooks()
    control.deliver_webhooks()
    assert deliveries(receiver) == [("qbo.customer.created.v1", kept["Id"])]
    statuses = [(e["status"], e["injected"]) for e in control.webhook_events(realm)]
    assert statuses[0] == ("dropped", "dropped (webhook_drop_rate)")
    assert statuses[1] == ("delivered", None)


def test_duplicated_events_arrive_twice_identical(manual_emu, receiver):
    api, control, realm = manual_emu, manual_emu.control, manual_emu.realm
    control.set_webhook("ledgerbridge-demo", receiver.url, TOKEN)
    control.set_faults(realm, webhook_duplicate_rate=1.0)
    api.customer()
    control.deliver_webhooks()
    assert len(receiver.received) == 2
    assert receiver.received[0][1] == receiver.received[1][1]  # same CloudEvent id and signature


def test_reordered_events_are_overtaken_by_later_ones(manual_emu, receiver, clock):
    api, control, realm = manual_emu, manual_emu.control, manual_emu.realm
    control.set_webhook("ledgerbridge-demo", receiver.url, TOKEN)
    control.set_faults(realm, webhook_reorder_rate=1.0, webhook_reorder_ms=5000)
    first = api.customer("First")
    control.set_faults(realm, webhook_reorder_rate=0.0)
    second = api.customer("Second")
    control.deliver_webhooks()
    assert deliveries(receiver) == [("qbo.customer.created.v1", second["Id"])]
    clock.advance(5)
    control.deliver_webhooks()
    assert [entity for _, entity in deliveries(receiver)] == [second["Id"], first["Id"]]


def test_delayed_events_wait_and_keep_their_order(manual_emu, receiver, clock):
    api, control, realm = manual_emu, manual_emu.control, manual_emu.realm
    control.set_webhook("ledgerbridge-demo", receiver.url, TOKEN)
    control.set_faults(realm, webhook_delay_ms=60000)
    first, second = api.customer("First"), api.customer("Second")
    assert control.deliver_webhooks() is False
    clock.advance(59)
    assert control.deliver_webhooks() is False and receiver.received == []
    clock.advance(1)
    control.deliver_webhooks()
    control.deliver_webhooks()
    assert [entity for _, entity in deliveries(receiver)] == [first["Id"], second["Id"]]
