"""Finding clients by any part of their name through an index, on SQLite and PostgreSQL alike.

Every list's Search box matches the client's name case-insensitively, anywhere in it. A plain
`LIKE '%…%'` reads every client; these indexes answer it instead:

- PostgreSQL: a trigram GIN index (pg_trgm) on `display_name`, which serves the
  `display_name ILIKE '%…%'` that SQLAlchemy's `icontains` says there.
- SQLite: an FTS5 table with the trigram tokenizer over `client_account.display_name`, kept in
  step by triggers. A quoted phrase matches the text as a substring, case-insensitively; FTS5
  needs three characters for that, so shorter text falls back to LIKE.

Both are created with the table (`db.create_all`, through the DDL events below) and by the
migration that introduced them (b7e41c0d9a52), which spells the same statements.
"""

from sqlalchemy import DDL, ColumnElement, event, literal_column, select, table
from sqlalchemy.orm import aliased

from .billing import ClientAccount

SEARCH_TABLE = "client_account_name_search"
TRIGRAM_INDEX = "ix_client_account_name_trgm"
MIN_INDEXED_LENGTH = 3  # the trigram tokenizer matches nothing shorter

SQLITE_CREATE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {SEARCH_TABLE} USING fts5("
    "display_name, content='client_account', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER IF NOT EXISTS {SEARCH_TABLE}_insert AFTER INSERT ON client_account BEGIN "
    f"INSERT INTO {SEARCH_TABLE}(rowid, display_name) VALUES (new.id, new.display_name); END",
    f"CREATE TRIGGER IF NOT EXISTS {SEARCH_TABLE}_delete AFTER DELETE ON client_account BEGIN "
    f"INSERT INTO {SEARCH_TABLE}({SEARCH_TABLE}, rowid, display_name) "
    "VALUES ('delete', old.id, old.display_name); END",
    f"CREATE TRIGGER IF NOT EXISTS {SEARCH_TABLE}_update AFTER UPDATE OF display_name "
    f"ON client_account BEGIN "
    f"INSERT INTO {SEARCH_TABLE}({SEARCH_TABLE}, rowid, display_name) "
    "VALUES ('delete', old.id, old.display_name); "
    f"INSERT INTO {SEARCH_TABLE}(rowid, display_name) VALUES (new.id, new.display_name); END",
    # Index the rows already there (the migration runs this on a database with clients).
    f"INSERT INTO {SEARCH_TABLE}({SEARCH_TABLE}) VALUES ('rebuild')",
)

POSTGRESQL_CREATE = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON client_account "
    "USING gin (display_name gin_trgm_ops)",
)

for _statement in SQLITE_CREATE:
    event.listen(
        ClientAccount.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite")
    )
# The FTS table outlives nothing: drop it with client_account (whose triggers go with it).
event.listen(
    ClientAccount.__table__,
    "before_drop",
    DDL(f"DROP TABLE IF EXISTS {SEARCH_TABLE}").execute_if(dialect="sqlite"),
)
for _statement in POSTGRESQL_CREATE:
    event.listen(
        ClientAccount.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql")
    )


def autogenerate_include_name(name: str, type_: str, parent_names: dict) -> bool:
    """Alembic's `include_name`: leave out the search index (the FTS5 table and its shadow
    tables, the trigram index), which no model describes, so that autogenerate neither drops it
    nor reports it as a difference."""
    if type_ == "table":
        return not (name or "").startswith(SEARCH_TABLE)
    return not (type_ == "index" and name == TRIGRAM_INDEX)


def client_name_contains(client_id, firm_id: int, text: str, dialect: str) -> ColumnElement[bool]:
    """`client_id` is one of the firm's clients whose name contains `text`, in any case.

    Args:
        client_id: the column holding a client's id (ClientAccount.id, Payment.client_id, ...).
        firm_id: the firm whose clients are searched.
        text: what was typed, matched literally (% and _ are not wildcards).
        dialect: the database's dialect name.
    """
    if dialect == "sqlite" and len(text) >= MIN_INDEXED_LENGTH:
        # The FTS table holds every firm's names; the caller's query keeps to one firm's rows.
        phrase = '"' + text.replace('"', '""') + '"'
        matches = select(literal_column("rowid")).select_from(table(SEARCH_TABLE))
        return client_id.in_(matches.where(literal_column(SEARCH_TABLE).op("MATCH")(phrase)))
    if client_id is ClientAccount.id:  # the Clients list: the row's own name
        return ClientAccount.display_name.icontains(text, autoescape=True)
    named = aliased(ClientAccount)  # not correlated with a ClientAccount in the outer query
    return client_id.in_(
        select(named.id).where(
            named.firm_id == firm_id, named.display_name.icontains(text, autoescape=True)
        )
    )
