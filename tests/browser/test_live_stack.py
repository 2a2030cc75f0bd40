"""The `live_stack` fixture itself: app, Redis, emulator and a real worker, wired together."""

from playwright.sync_api import Page, expect
from redis import Redis
from rq import Worker


def test_live_stack_wires_app_emulator_redis_and_worker(page: Page, live_stack):
    live_stack.sign_in(page)
    expect(page.get_by_role("link", name="Invoices")).to_be_visible()

    assert live_stack.app.config["QBO_EMULATOR_URL"] == live_stack.emulator.url
    assert live_stack.app.config["QBO_REDIRECT_URI"].startswith(live_stack.url)
    assert page.request.get(f"{live_stack.url}/healthz").ok
    assert page.request.get(f"{live_stack.emulator.url}/_emulator/").ok

    workers = Worker.all(connection=Redis.from_url(live_stack.redis_url))
    assert [w.pid for w in workers] == [live_stack.worker.pid]
    assert live_stack.worker.poll() is None
