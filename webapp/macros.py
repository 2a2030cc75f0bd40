"""The macro files every page uses (`ui`, `forms`, `lists`, `remote`) as Jinja globals.

A list page renders 50 rows, each with its row menu, and an `{% import %}` in those partials ran
once per row: about 200 imports a page, each comparing the importing template's globals with the
macro file's. As globals, each macro file is built once per process (again when it changes, with
template auto-reload on). A template may still import one; that only costs more. The row menu's
pieces, the hottest of all, are Python functions (row_menus.py), and so is a row's URL
(row_urls.py).
"""

from __future__ import annotations

from flask import Flask
from jinja2 import Environment

from .row_menus import init_row_menus
from .row_urls import init_row_urls

MACRO_FILES = {
    "ui": "macros/ui.html",
    "forms": "macros/forms.html",
    "lists": "macros/lists.html",
    "remote": "macros/remote.html",
}


class MacroFile:
    """`ui.menu_item(...)` in a template: the macro of the file's module, built without context
    like a plain `{% import %}`."""

    def __init__(self, env: Environment, name: str):
        self._env = env
        self._name = name

    def __getattr__(self, macro: str):
        return getattr(self._env.get_template(self._name).module, macro)


def init_macros(app: Flask) -> None:
    init_row_menus(app)
    init_row_urls(app)
    for alias, name in MACRO_FILES.items():
        app.jinja_env.globals[alias] = MacroFile(app.jinja_env, name)
