"""Fault injection, latency, lost responses, throttling and the control API for them."""

from __future__ import annotations

import time

import pytest
from emu_helpers import Api, fault_code

from qbo_emulator import create_app
from qbo_emulator.faults import QBOFault
from qbo_emulator.limits import Throttle


@pytest.mark.parametrize(
    ("key", "status", "code"),
    [
        ("error_500_rate", 500, "10000"),
        ("error_503_rate", 503, "10000"),
        ("error_429_rate", 429, "3001"),
    ],
)
def test_error_rates(api, control, realm, key, status, code):
    control.set_faults(realm, **{key: 1.0})
    response = api.get("preferences")
    assert response.status_code == status and fault_code(response) == code
    assert "time" in response.json and response.headers["intuit_tid"]
    control.clear_faults(realm)
    assert api.get("preferences").status_code == 200


def test_injected_errors_do_not_write(api, control, realm):
    control.set_faults(realm, error_503_rate=1.0)
    assert api.post("customer", {"DisplayName": "Never"}).status_code == 503
    assert control.entities(realm, "Customer") == []


def test_fault_control_json_api_merges_and_clears(emu_client, realm):
    url = f"/_emulator/api/companies/{realm}/faults"
    assert emu_client.post(url, json={"error_500_rate": 0.25}).json == {"error_500_rate": 0.25}
    merged = emu_client.post(url, json={"latency_ms": 5, "throttling": True}).json
    assert merged == {"error_500_rate": 0.25, "latency_ms": 5.0, "throttling": True}
    assert emu_client.get(url).json == merged
    assert emu_client.post(url, json={"bogus": 1}).status_code == 400
    assert emu_client.post(url, json={"error_500_rate": 2}).status_code == 400
    for mode in ("error", "timeout"):
        assert emu_client.post(url, json={"lost_response_mode": mode}).status_code == 200
    assert emu_client.post(url, json={"lost_response_mode": "drop"}).status_code == 400
    assert emu_client.get(url).json["lost_response_mode"] == "timeout"
    assert emu_client.delete(url).json == {}
    assert emu_client.get(url).json == {}


def test_latency(api, control, realm):
    control.set_faults(realm, latency_ms=120)
    started = time.monotonic()
    assert api.get("preferences").status_code == 200
    assert time.monotonic() - started >= 0.12


def test_lost_response_commits_then_answers_500(api, control, realm):
    control.set_faults(realm, lost_response_rate=1.0)
    response = api.post("customer", {"DisplayName": "Ghost"})
    assert response.status_code == 500
    assert [c["DisplayName"] for c in control.entities(realm, "Customer")] == ["Ghost"]
    assert api.get("preferences").status_code == 200  # reads are not affected


def test_lost_response_timeout_mode_sleeps(api, control, realm):
    control.set_faults(
        realm, lost_response_rate=1.0, lost_response_mode="timeout", lost_response_sleep_ms=150
    )
    started = time.monotonic()
    response = api.post("customer", {"DisplayName": "Slow"})
    assert time.monotonic() - started >= 0.15 and response.status_code == 200


def test_throttling_off_by_default_then_per_minute_limit(tmp_path, clock):
    app = create_app(
        {"DATABASE": str(tmp_path / "t.db"), "THROTTLE_LIMITS": {"per_minute": 5}}, clock=clock
    )
    control = app.extensions["qbo_emulator"].control
    realm = control.demo_realm_id()
    api = Api(app.test_client(), control, realm)
    assert all(api.get("preferences").status_code == 200 for _ in range(8))
    control.set_faults(realm, throttling=True)
    response = api.get("preferences")  # the 8 calls above are still inside the minute
    assert response.status_code == 429 and fault_code(response) == "3001"
    assert "ThrottleExceeded" in response.json["Fault"]["Error"][0]["Message"]
    clock.advance(61)
    statuses = [api.get("preferences").status_code for _ in range(6)]
    assert statuses[:5] == [200] * 5 and statuses[5] == 429
    app.extensions["qbo_emulator"].dispatcher.stop()


def test_batch_throttle_is_40_per_minute(api, control, realm, clock):
    control.set_faults(realm, throttling=True)
    body = {"BatchItemRequest": [{"bId": "1", "Query": "select count(*) from Item"}]}
    statuses = []
    for _ in range(41):
        statuses.append(api.post("batch", body).status_code)
        clock.advance(0.2)  # stay under 10 a second: only the batch limit is tested here
    assert statuses[:40] == [200] * 40 and statuses[40] == 429
    assert api.get("preferences").status_code == 200


def refuser(throttle, key):
    def refused(batch=False) -> bool:
        try:
            throttle.enter(key, batch=batch, enforce=True)
        except QBOFault as fault:
            assert fault.status == 429 and fault.code == "3001"
            return True
        return False

    return refused


def test_default_limits_are_intuits_500_per_minute_10_at_once_40_batches(clock):
    throttle = Throttle(clock)
    key = ("realm", "app")
    refused = refuser(throttle, key)

    def spaced(batch=False) -> bool:
        clock.advance(0.11)  # under 10 a second, so only the minute limits count
        return refused(batch) or throttle.exit(key)

    assert not any(spaced() for _ in range(500))
    assert refused()
    assert not throttle.enter(("realm", "another app"), batch=False, enforce=True)
    clock.advance(60)
    for _ in range(10):
        assert not refused()  # ten in flight at once
        clock.advance(0.2)
    assert refused()
    for _ in range(10):
        throttle.exit(key)
    clock.advance(60)
    assert not any(spaced(batch=True) for _ in range(40))
    clock.advance(1)
    assert refused(batch=True) and not refused(batch=False)


def test_ten_requests_a_second_counted_over_a_sliding_second(clock):
    throttle = Throttle(clock)
    key = ("realm", "app")
    refused = refuser(throttle, key)
    assert not any(refused() or throttle.exit(key) for _ in range(10))
    assert refused()
    clock.advance(0.5)
    assert refused()  # still inside the same second, whatever the calendar second says
    clock.advance(0.5)
    assert not refused()


def test_the_minute_slides_instead_of_resetting_on_the_calendar_minute(clock):
    throttle = Throttle(clock, {"per_minute": 5})
    key = ("realm", "app")
    refused = refuser(throttle, key)
    clock.advance(50)
    assert not any(refused() or throttle.exit(key) for _ in range(5))
    clock.advance(15)  # a new calendar minute, but the five calls are 15 s old
    assert refused()
    clock.advance(45)
    assert not refused()


def test_120_batches_a_minute_per_company_across_all_apps(clock):
    throttle = Throttle(clock)
    apps = [("realm", f"app{i}") for i in range(4)]
    for n in range(120):
        clock.advance(0.11)
        throttle.enter(apps[n % 3], batch=True, enforce=True)
        throttle.exit(apps[n % 3])
    assert refuser(throttle, apps[3])(batch=True)  # a fourth app, far below its own 40
    assert not refuser(throttle, ("other realm", "app0"))(batch=True)


def test_limits_are_tunable_per_company_at_run_time(api, control, realm, clock, emu_client):
    url = f"/_emulator/api/companies/{realm}/faults"
    settings = {"throttling": True, "limit_per_minute": 3, "limit_per_second": 100}
    assert emu_client.post(url, json=settings).status_code == 200
    statuses = [api.get("preferences").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    detail = api.get("preferences").json["Fault"]["Error"][0]["Detail"]
    assert "3 requests in 60 seconds" in detail
    assert emu_client.post(url, json={"limit_per_minute": 0}).status_code == 400
    assert emu_client.post(url, json={"throttling": False}).status_code == 200
    assert api.get("preferences").status_code == 200


def test_throttling_can_default_to_on_for_every_company(tmp_path, clock):
    app = create_app({"DATABASE": str(tmp_path / "t.db"), "THROTTLING_DEFAULT": True}, clock=clock)
    control = app.extensions["qbo_emulator"].control
    api = Api(app.test_client(), control, control.demo_realm_id())
    statuses = [api.get("preferences").status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]
    control.set_faults(control.demo_realm_id(), throttling=False)
    assert api.get("preferences").status_code == 200
    app.extensions["qbo_emulator"].dispatcher.stop()
