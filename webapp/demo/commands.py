"""`flask --app wsgi seed-demo`: the demo firm and its data, for trying the app by hand."""

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError, ProgrammingError

from ..cli import NO_SCHEMA
from ..extensions import db
from .seed import DEMO_EMAIL, DEMO_FIRM, STAFF_EMAIL, demo_password, seed_demo


@click.command("seed-demo")
@with_appcontext
@click.option("--clients", type=click.IntRange(min=0), help="Client accounts (default 20).")
@click.option("--invoices", type=click.IntRange(min=0), help="Invoices (default 60).")
@click.option("--payments", type=click.IntRange(min=0), help="Payments (default 80).")
def seed_demo_command(clients: int | None, invoices: int | None, payments: int | None) -> None:
    """Create the demo firm "Demo Accounting LLP" with its users and billing data, once.

    Running it again changes nothing. For big data give only --payments: invoices and clients
    grow with it (3 invoices per 4 payments, 3 invoices per client) unless given too.
    """
    payments = 80 if payments is None else payments
    if invoices is None:
        invoices = max(60, payments * 3 // 4)
    if clients is None:
        clients = max(20, invoices // 3)
    try:
        result = seed_demo(clients=clients, invoices=invoices, payments=payments)
    except (OperationalError, ProgrammingError) as error:
        db.session.rollback()
        if "no such table" in str(error) or "does not exist" in str(error):
            raise click.ClickException(NO_SCHEMA) from error
        raise
    if result.created:
        click.echo(
            f'Created the demo firm "{DEMO_FIRM}": {result.clients:,} clients, '
            f"{result.invoices:,} invoices, {result.payments:,} payments, "
            f"{result.refunds:,} refunds in {result.seconds:.1f} s."
        )
    else:
        click.echo(f'The demo firm "{DEMO_FIRM}" already exists; nothing changed.')
    click.echo(f"Sign in as {DEMO_EMAIL} (owner) or {STAFF_EMAIL} (staff).")
    click.echo(f"Password: {demo_password()}  (set DEMO_PASSWORD before seeding to choose another)")
