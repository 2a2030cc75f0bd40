from flask import Blueprint

# cli_group=None: `flask --app wsgi qbo-sweep` is a top-level command.
bp = Blueprint("settings", __name__, url_prefix="/settings", cli_group=None)

from . import commands, views  # noqa: E402, F401
