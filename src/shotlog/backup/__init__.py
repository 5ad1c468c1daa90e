"""Backups of a site: its database, uploaded files and archive segments, and their restore.

``shotlog db backup DEST`` and ``shotlog db restore SRC`` call ``site.take_backup`` and
``site.restore_backup``; the database's own copy is ``shotlog.store.backup``'s.
"""

from shotlog.backup.manifest import Manifest, StoreListing
from shotlog.backup.site import RestoreReport, restore_backup, take_backup

__all__ = ["Manifest", "RestoreReport", "StoreListing", "restore_backup", "take_backup"]
