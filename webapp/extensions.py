"""Extension singletons, bound to the app in create_app()."""

from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
htmx = HTMX()
login_manager = LoginManager()
# Counts live in Redis (RATELIMIT_STORAGE_URI, derived from REDIS_URL), shared by every web
# worker. When Redis is down the limiter logs the error and lets the request through: a sign-in
# page that answers is better than a 500. The limits themselves are on the views.
limiter = Limiter(
    get_remote_address, strategy="moving-window", swallow_errors=True, headers_enabled=False
)
