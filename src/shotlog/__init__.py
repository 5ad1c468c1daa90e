"""shotlog: a self-hosted event platform compatible with Flow Production Tracking (ShotGrid).

>>> import shotlog
>>> sg = shotlog.connect("sqlite:///./shotlog.db")
>>> shot = sg.create("Shot", {"code": "sh010"})
"""

from shotlog.connection import BatchError, Shotlog, connect
from shotlog.errors import (
    ConflictError,
    FilterError,
    NotFound,
    PermissionDenied,
    ReadOnlyField,
    SchemaError,
    ShotlogError,
    StorageError,
    UnknownEntityType,
    UnknownField,
    ValidationError,
)

__version__ = "0.1.0"

__all__ = [
    "BatchError",
    "ConflictError",
    "FilterError",
    "NotFound",
    "PermissionDenied",
    "ReadOnlyField",
    "SchemaError",
    "Shotlog",
    "ShotlogError",
    "StorageError",
    "UnknownEntityType",
    "UnknownField",
    "ValidationError",
    "__version__",
    "connect",
]
