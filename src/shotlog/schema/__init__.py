"""The data model as data: entity types, fields and FPTR's data types."""

from shotlog.schema.datatypes import DATA_TYPES, DataType, Storage
from shotlog.schema.model import EntityType, Field, Schema

__all__ = ["DATA_TYPES", "DataType", "EntityType", "Field", "Schema", "Storage"]
