"""The Alembic migrations build the same schema as the models, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from webapp.extensions import db
from webapp.models import autogenerate_include_name


def test_migrations_from_empty_match_the_models(app):
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        try:
            upgrade()
            with db.engine.connect() as conn:
                # As env.py does: the SQLite search index's FTS5 tables have no model.
                context = MigrationContext.configure(
                    conn, opts={"include_name": autogenerate_include_name}
                )
                diff = compare_metadata(context, db.metadata)
            assert diff == []
            downgrade(revision="base")
            with db.engine.connect() as conn:
                tables = db.inspect(conn).get_table_names()
            assert set(tables) <= {"alembic_version"}
        finally:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            db.drop_all()
            db.create_all()
