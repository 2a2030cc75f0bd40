"""The QBO query language: SELECT * | COUNT(*) FROM Entity [WHERE ...] [ORDERBY ...] [STARTPOSITION n] [MAXRESULTS n]."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from . import index
from .clock import parse_datetime
from .entities import REGISTRY
from .faults import QBOFault
from .index import field_value

TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:\\.|[^'\\])*')
      | (?P<num>-?\d+(?:\.\d+)?)
      | (?P<op><=|>=|!=|=|<|>)
      | (?P<punct>[(),*])
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)
DEFAULT_MAX, HARD_MAX = 100, 1000


def parse_error(detail: str) -> QBOFault:
    return QBOFault("4000", "Error parsing query", f"QueryParserError: {detail}")


def validation_error(detail: str) -> QBOFault:
    return QBOFault("4000", "Error parsing query", f"QueryValidationError: {detail}")


@dataclass
class Query:
    entity: str
    count: bool = False
    where: list = field(default_factory=list)  # (field, op, value)
    order: list = field(default_factory=list)  # (field, descending)
    start: int = 1
    max_results: int = DEFAULT_MAX


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.strip().rstrip(";")
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            if text[pos:].strip() == "":
                break
            raise parse_error(f'Encountered "{text[pos : pos + 10]}" at column {pos + 1}.')
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self, offset: int = 0):
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else (None, None)

    def take(self):
        tok = self.peek()
        if tok[0] is None:
            raise parse_error("Unexpected end of query.")
        self.i += 1
        return tok

    def keyword(self, *words) -> bool:
        kind, value = self.peek()
        if kind == "word" and value.upper() in words:
            self.i += 1
            return True
        return False

    def expect(self, word: str):
        if not self.keyword(word):
            raise parse_error(f'Was expecting {word} near "{self.peek()[1]}".')

    def value(self):
        kind, raw = self.take()
        if kind == "str":
            return re.sub(r"\\(.)", r"\1", raw[1:-1])
        if kind == "num":
            return Decimal(raw)
        if kind == "word" and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise parse_error(f'Encountered "{raw}" where a value was expected.')

    def parse(self) -> Query:
        self.expect("SELECT")
        count = False
        if self.keyword("COUNT"):
            if [self.take()[1] for _ in range(3)] != ["(", "*", ")"]:
                raise parse_error("Expected COUNT(*).")
            count = True
        elif self.peek()[1] == "*":
            self.take()
            while (
                self.peek()[1] == ","
            ):  # pyqb sends "SELECT *, Sku"; all properties come back anyway
                self.take()
                self.take()
        else:
            raise parse_error("Projections are not supported; use SELECT * or SELECT COUNT(*).")
        self.expect("FROM")
        kind, entity = self.take()
        if kind != "word" or entity not in REGISTRY:
            raise validation_error(f"{entity} is not a valid entity.")
        query = Query(entity=entity, count=count)
        filterable = set(REGISTRY[entity].filterable)
        if self.keyword("WHERE"):
            while True:
                kind, name = self.take()
                if kind != "word":
                    raise parse_error(f'Encountered "{name}" where a property was expected.')
                if name not in filterable:
                    raise validation_error(f"property '{name}' is not queryable")
                op_kind, op = self.take()
                if op_kind == "op":
                    value = self.value()
                elif op_kind == "word" and op.upper() in ("IN", "LIKE"):
                    op = op.upper()
                    if op == "IN":
                        if self.take()[1] != "(":
                            raise parse_error("IN needs a parenthesised list.")
                        value = [self.value()]
                        while self.peek()[1] == ",":
                            self.take()
                            value.append(self.value())
                        if self.take()[1] != ")":
                            raise parse_error("Unclosed IN list.")
                    else:
                        value = self.value()
                else:
                    raise parse_error(f'Unsupported operator "{op}".')
                query.where.append((name, op, value))
                if self.keyword("OR"):
                    raise parse_error("OR is not supported.")
                if not self.keyword("AND"):
                    break
        if self.keyword("ORDERBY") or (self.keyword("ORDER") and self.expect("BY") is None):
            while True:
                kind, name = self.take()
                if name not in filterable:
                    raise validation_error(f"property '{name}' is not sortable")
                desc = self.keyword("DESC")
                if not desc:
                    self.keyword("ASC")
                query.order.append((name, desc))
                if self.peek()[1] != ",":
                    break
                self.take()
        for _ in range(2):
            if self.keyword("STARTPOSITION"):
                query.start = max(1, int(self.value()))
            elif self.keyword("MAXRESULTS"):
                wanted = int(self.value())
                if not 1 <= wanted <= HARD_MAX:
                    # [V] 1000 is the documented maximum; refusing (not clamping) is our choice.
                    raise validation_error(
                        f"MAXRESULTS value {wanted} is out of range. Max allowed value is: {HARD_MAX}"
                    )
                query.max_results = wanted
        if self.peek()[0] is not None:
            raise parse_error(f'Encountered "{self.peek()[1]}".')
        return query


def parse(text: str) -> Query:
    if not text or not text.strip():
        raise parse_error("Empty query.")
    return _Parser(text).parse()


_field = field_value


def _coerce(actual, wanted, name: str):
    """Bring a stored value and a query literal to comparable types."""
    if actual is None:
        return None, wanted
    if name.startswith("MetaData."):
        try:
            return parse_datetime(str(actual)), parse_datetime(str(wanted))
        except ValueError:
            raise validation_error(f"'{wanted}' is not a valid date-time") from None
    if isinstance(wanted, bool):
        return bool(actual), wanted
    if isinstance(wanted, Decimal) or isinstance(actual, (int, float)):
        try:
            return Decimal(str(actual)), Decimal(str(wanted))
        except InvalidOperation:
            return str(actual).lower(), str(wanted).lower()
    return str(actual).lower(), str(wanted).lower()


def _like(actual, pattern) -> bool:
    regex = "^" + ".*".join(re.escape(p) for p in str(pattern).lower().split("%")) + "$"
    return actual is not None and re.match(regex, str(actual).lower(), re.DOTALL) is not None


def matches(obj: dict, where) -> bool:
    for name, op, wanted in where:
        actual = _field(obj, name)
        if op == "LIKE":
            ok = _like(actual, wanted)
        elif op == "IN":
            ok = any(_compare(actual, "=", w, name) for w in wanted)
        else:
            ok = _compare(actual, op, wanted, name)
        if not ok:
            return False
    return True


def _compare(actual, op, wanted, name) -> bool:
    a, w = _coerce(actual, wanted, name)
    if a is None:
        return False
    try:
        return {
            "=": a == w,
            "!=": a != w,
            "<": a < w,
            ">": a > w,
            "<=": a <= w,
            ">=": a >= w,
        }[op]
    except TypeError:
        return False


def _sort_key(obj: dict, name: str):
    value = _field(obj, name)
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)) or (name == "Id" and str(value).isdigit()):
        return (1, Decimal(str(value)))
    return (2, str(value).lower())


def run(query: Query, objs: list[dict]) -> dict:
    """Filter, sort and page already-rendered objects; return the QueryResponse body."""
    found = [o for o in objs if matches(o, query.where)]
    if query.count:
        return {"totalCount": len(found)}
    found.sort(key=lambda o: _sort_key(o, "Id"))
    for name, desc in reversed(query.order):
        found.sort(key=lambda o, n=name: _sort_key(o, n), reverse=desc)
    page = found[query.start - 1 : query.start - 1 + query.max_results]
    if not page:
        return {}
    return {query.entity: page, "startPosition": query.start, "maxResults": len(page)}


def execute(books, query: Query) -> dict:
    """Answer a parsed query reading only the objects it can match (see index.py).

    No WHERE and no ORDERBY: COUNT(*) and the page come straight from the Id-ordered index.
    `=` / `IN` on Id or an indexed field: only the candidate objects are read and checked.
    Anything else (ranges, LIKE, computed fields alone): every object of the entity is read.
    """
    store, realm, entity = books.store, books.realm_id, query.entity
    if not query.where and not query.order:
        if query.count:
            return {"totalCount": store.count(realm, entity)}
        objs = store.page(realm, entity, query.start - 1, query.max_results)
        page = books.render(entity, objs)
        return {entity: page, "startPosition": query.start, "maxResults": len(page)} if page else {}
    ids = index.candidates(store, realm, entity, query.where, REGISTRY[entity].indexed())
    objs = books.all(entity) if ids is None else store.get_many(realm, entity, ids)
    return run(query, books.render(entity, objs))
