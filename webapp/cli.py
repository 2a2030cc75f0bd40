"""Flask CLI commands: `flask --app wsgi seed-demo`, `flask --app wsgi create-user`."""

from flask import Flask


def register_cli(app: Flask) -> None:
    pass
