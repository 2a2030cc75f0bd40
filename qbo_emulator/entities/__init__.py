"""Entity rules; importing this package registers every entity."""

from . import names, payments, sales  # noqa: F401
from .base import ENTITY_BY_PATH, REGISTRY, Books

__all__ = ["Books", "ENTITY_BY_PATH", "REGISTRY"]
