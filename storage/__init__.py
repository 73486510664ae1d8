"""SQLite storage: connections, migrations and one repository per aggregate.

This package speaks SQL only; it never imports ``telegram``.
"""

from storage.db import Database, Store

__all__ = ["Database", "Store"]
