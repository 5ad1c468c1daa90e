"""FPTR's REST API (``/api/v1``): the subset non-Python tools use."""
