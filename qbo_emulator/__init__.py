"""A local emulator of QuickBooks Online's Accounting API v3 and Intuit's OAuth 2.0 server."""

from .app import create_app

__all__ = ["create_app"]
