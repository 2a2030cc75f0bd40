"""The production entry point: `gunicorn wsgi:app` (and `flask --app wsgi ...`)."""

import logging
import os

from webapp import create_app
from webapp.config import check_secrets

# gunicorn logs only its own lines; this sends the app's (failed sign-ins, sign-in limits,
# failed health checks, QuickBooks warnings) to stderr too, i.e. to the journal under systemd.
logging.basicConfig(
    level=os.environ.get("LOG_LEVEL", "INFO").upper(),
    format="%(asctime)s %(levelname)s %(name)s %(message)s",
)

app = create_app()
# Never serve with a secret anyone can guess: a forged session cookie would be accepted.
check_secrets(app.config)
