"""`flask --app wsgi qbo-sweep`: re-enqueue rows stuck in Syncing…/Unsyncing… once, now."""

import click

from . import bp


@bp.cli.command("qbo-sweep")
def qbo_sweep():
    """Re-enqueue rows stuck longer than SYNC_STUCK_AFTER_SECONDS."""
    from ..quickbooks.sweeper import sweep_stuck_rows

    click.echo(f"Re-enqueued {sweep_stuck_rows()} stuck rows.")
