"""FPTR's filter language: normalizing it and compiling it to SQL."""
