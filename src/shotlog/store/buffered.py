"""A connection that holds back UPDATEs so a run of them goes to the database as one executemany."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from shotlog.store import driver

__all__ = ["BufferedConnection"]


class BufferedConnection:
    """A batch of 100 one-field updates costs one round of statement processing instead of 100.

    Any other statement first sends what is held back, in order, so every read in the transaction
    sees every earlier write.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._held: list[tuple[Any, tuple[str, ...], list[dict[str, Any]]]] = []

    def defer(self, stmt: Any, params: dict[str, Any]) -> None:
        keys = tuple(params)
        if self._held and self._held[-1][0] is stmt and self._held[-1][1] == keys:
            self._held[-1][2].append(params)
        else:
            self._held.append((stmt, keys, [params]))

    def send(self) -> None:
        held, self._held = self._held, []
        for stmt, _keys, rows in held:
            if len(rows) > 1:
                driver.executemany(self._conn, stmt, rows)
            else:
                driver.execute(self._conn, stmt, rows[0])

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        if self._held:
            self.send()
        return self._conn.execute(*args, **kwargs)

    def exec_driver_sql(self, *args: Any, **kwargs: Any) -> Any:
        if self._held:
            self.send()
        return self._conn.exec_driver_sql(*args, **kwargs)

    def fetch_one(self, stmt: Any, params: dict[str, Any]) -> driver.Record | None:
        """``driver.fetch_one`` after sending what is held, so the read sees every earlier write."""
        if self._held:
            self.send()
        return driver.fetch_one(self._conn, stmt, params)

    def fetch_all(self, stmt: Any, params: dict[str, Any]) -> list[driver.Record]:
        """``driver.fetch_all`` after sending what is held."""
        if self._held:
            self.send()
        return driver.fetch_all(self._conn, stmt, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)
