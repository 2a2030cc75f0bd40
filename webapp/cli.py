"""The app's Flask CLI: `create-user` here; `seed-demo` and `qbo-sweep` live with what they run."""

import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError

from .extensions import db
from .models import Firm, Role, User

MIN_PASSWORD_LENGTH = 8
NO_SCHEMA = "The database has no tables yet. Run `flask --app wsgi db upgrade` first."


def register_cli(app: Flask) -> None:
    from .demo.commands import seed_demo_command
    from .quickbooks.commands import qbo_sweep_command

    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(qbo_sweep_command)


def _normalise_email(value: str) -> str:
    try:
        return validate_email(
            value.strip(), check_deliverability=False, test_environment=True
        ).normalized.lower()
    except EmailNotValidError as error:
        raise click.BadParameter(str(error), param_hint="EMAIL") from error


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--firm", "firm_name", required=True, help="The firm's name; created if missing.")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=Role.STAFF.value,
    show_default=True,
    help="owner and admin may change QuickBooks settings; staff may not.",
)
@click.option("--name", default="", help="The user's full name, shown in the top bar.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Asked for (hidden, twice) when not given.",
)
def create_user_command(email: str, firm_name: str, role: str, name: str, password: str) -> None:
    """Create a user EMAIL in the firm --firm (creating the firm if it does not exist)."""
    email = _normalise_email(email)
    firm_name = firm_name.strip()
    if not firm_name or len(firm_name) > 120:
        raise click.BadParameter("Give a firm name of 1 to 120 characters.", param_hint="--firm")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(
            f"Use at least {MIN_PASSWORD_LENGTH} characters.", param_hint="--password"
        )
    try:
        if db.session.execute(select(User.id).filter_by(email=email)).first():
            raise click.ClickException(f"A user with the email {email} already exists.")
        firm = db.session.execute(select(Firm).filter_by(name=firm_name)).scalar_one_or_none()
    except (OperationalError, ProgrammingError) as error:
        db.session.rollback()
        raise click.ClickException(NO_SCHEMA) from error
    if firm is None:
        firm = Firm(name=firm_name)
        db.session.add(firm)
        click.echo(f'Created the firm "{firm_name}".')
    user = User(firm=firm, email=email, name=name.strip()[:120], role=Role(role))
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f'Created {role} {email} in "{firm_name}".')
