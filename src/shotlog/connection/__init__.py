"""The in-process Python API: ``shotlog.connect(url)``, a ``Shotlog`` with shotgun_api3's method names.

``client.py`` holds the connection (who acts, transactions, reads, writes, the event log);
``following.py`` and ``schema_editing.py`` hold the rest of its methods, by subject.
"""

from shotlog.connection.client import DEFAULT_SCRIPT, BatchError, Shotlog, connect

__all__ = ["DEFAULT_SCRIPT", "BatchError", "Shotlog", "connect"]
