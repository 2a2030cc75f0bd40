"""The production entry point: `gunicorn wsgi:app` (and `flask --app wsgi ...`)."""

from webapp import create_app
from webapp.config import check_secrets

app = create_app()
# Never serve with a secret anyone can guess: a forged session cookie would be accepted.
check_secrets(app.config)
