"""Mirroring a live FPTR site's event log into shotlog's (``shotlog mirror``).

``records`` turns the site's events into rows (pure), ``ordering`` decides which accepted events may
be appended (pure), ``site`` talks to the site through shotgun_api3, ``follower`` runs the loop and
``lock`` keeps it to one mirror per database. The state lives in ``shotlog.store.mirrors``.
"""

from __future__ import annotations

__all__: list[str] = []
