"""Entity rules; importing this package registers every entity."""

from . import names, payments, sales  # noqa: F401
from .base import ENTITY_BY_PATH, REGISTRY, Books, indexed_fields, rebuild_indexes

__all__ = ["Books", "ENTITY_BY_PATH", "REGISTRY", "indexed_fields", "rebuild_indexes"]
