"""FPTR's filter language: normalizing filters, time windows, and checking each operand (pure)."""
