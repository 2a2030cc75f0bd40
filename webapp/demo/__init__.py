"""The demo: not part of the app that serves a firm, only tooling around it.

- `python -m webapp.demo` (what `make run` runs): `supervisor` migrates, seeds, starts Redis, the
  QBO emulator, a worker and the web server, then `tour` connects the firm and syncs a few rows.
- `flask --app wsgi seed-demo`: `commands`, which calls `seed`; `seed` writes what `plan` planned
  in memory from the words in `names`.
"""
