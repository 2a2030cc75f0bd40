"""Fixtures for the QBO emulator tests: an in-process app on a FrozenClock and an API helper."""

from __future__ import annotations

import pytest
from emu_helpers import Api, Receiver

from qbo_emulator import create_app
from qbo_emulator.clock import FrozenClock


@pytest.fixture
def clock():
    return FrozenClock()


@pytest.fixture
def emu_config(tmp_path):
    return {"DATABASE": str(tmp_path / "emu.db"), "WEBHOOK_RETRY_SCHEDULE": [10, 20, 30]}


@pytest.fixture
def emu_app(emu_config, clock):
    app = create_app(emu_config, clock=clock)
    yield app
    app.extensions["qbo_emulator"].dispatcher.stop()


@pytest.fixture
def emu_client(emu_app):
    return emu_app.test_client()


@pytest.fixture
def control(emu_app):
    return emu_app.extensions["qbo_emulator"].control


@pytest.fixture
def realm(control):
    return control.demo_realm_id()


@pytest.fixture
def api(emu_client, control, realm):
    return Api(emu_client, control, realm)


@pytest.fixture
def manual_emu(tmp_path, clock):
    """An emulator without the background delivery thread: the test decides when delivery runs."""
    app = create_app(
        {
            "DATABASE": str(tmp_path / "manual.db"),
            "WEBHOOK_RETRY_SCHEDULE": [10, 20, 30],
            "WEBHOOK_BACKGROUND_DELIVERY": False,
        },
        clock=clock,
    )
    state = app.extensions["qbo_emulator"]
    yield Api(app.test_client(), state.control, state.demo_realm_id)
    state.dispatcher.stop()


@pytest.fixture
def receiver():
    rec = Receiver()
    yield rec
    rec.close()
