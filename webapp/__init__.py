"""Ledgerbridge: client billing for accounting firms, kept in step with QuickBooks Online."""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import INSTANCE_DIR, Config, ephemeral_secret_if_unset, limiter_storage_uri


def create_app(config: type[Config] | dict | None = None) -> Flask:
    """Create the app; `config` is a config class or a mapping of overrides (tests pass data)."""
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    from .logs import configure_logging

    configure_logging(app)
    ephemeral_secret_if_unset(app)
    INSTANCE_DIR.mkdir(exist_ok=True)

    from . import models  # noqa: F401  (registers the tables before Migrate looks at them)
    from .extensions import csrf, db, htmx, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(INSTANCE_DIR.parent / "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", limiter_storage_uri(app.config["REDIS_URL"]))
    limiter.init_app(app)
    if hops := app.config["TRUSTED_PROXY_HOPS"]:
        # Behind the TLS proxy: the client's address (rate limits) and https (redirects, cookies).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from . import auth, billing, bulk, clients, errors, reconciliation, settings
    from .cli import register_cli
    from .htmx import add_vary_header
    from .i18n import init_i18n
    from .macros import init_macros
    from .queue import init_queue
    from .quickbooks import views as quickbooks_views
    from .security import init_security

    init_queue(app)
    init_i18n(app)
    init_macros(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(clients.bp)
    app.register_blueprint(billing.bp)
    app.register_blueprint(settings.bp)
    app.register_blueprint(quickbooks_views.bp)
    app.register_blueprint(reconciliation.bp)
    app.register_blueprint(bulk.bp)
    errors.register(app)
    register_cli(app)
    app.after_request(add_vary_header)
    init_security(app)
    app.add_url_rule("/", endpoint="index", view_func=_index)
    app.add_url_rule("/healthz", endpoint="healthz", view_func=_healthz)
    return app


def _index():
    from flask import redirect, url_for

    return redirect(url_for("billing.invoices"))


def _healthz():
    """200 when the database and Redis (the job queue) answer, else 503 naming what failed.

    For `make run`, the TLS proxy or load balancer, and the process supervisor's health check.
    """
    import logging

    from redis.exceptions import RedisError
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from .extensions import db
    from .queue import get_redis

    failed = []
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        failed.append("database")
    try:
        get_redis().ping()
    except (RedisError, OSError):
        failed.append("redis")
    if failed:
        logging.getLogger(__name__).warning("health check failed: %s", ", ".join(failed))
        return {"status": "unavailable", "failed": failed}, 503
    return {"status": "ok"}
