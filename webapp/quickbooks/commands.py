"""`flask --app wsgi qbo-sweep`: re-enqueue rows stuck in Syncing…/Unsyncing… once, now."""

import click
from flask.cli import with_appcontext


@click.command("qbo-sweep")
@with_appcontext
def qbo_sweep_command() -> None:
    """Re-enqueue rows stuck longer than SYNC_STUCK_AFTER_SECONDS."""
    from .sweeper import sweep_stuck_rows  # the job machinery loads only when the command runs

    click.echo(f"Re-enqueued {sweep_stuck_rows()} stuck rows.")
