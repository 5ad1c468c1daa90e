"""The shotgun_api3 wire protocol: ``POST /api3/json``."""
