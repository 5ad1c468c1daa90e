"""Checking passwords without letting a flood of sign-ins exhaust the server.

An Argon2id check takes 64 MiB and tens of milliseconds, on purpose. Run once per request thread,
80 concurrent wrong passwords took a server from 114 MB to 3 GB. So:

* every check runs on one of ``SLOTS`` threads of the process (the machine's CPUs, at most 4:
  more would not check faster on a busy machine, and each costs 64 MiB while it runs);
* a check waits for a slot at most ``WAIT_SECONDS``, and at most ``MAX_WAITING`` checks wait;
  past either, ``PasswordsBusy`` says "busy, try again" instead of letting memory grow;
* input that cannot be a sign-in (an empty password, a login or password longer than any that
  can be set) is refused by ``plausible`` before any hashing;
* an unknown or disabled login is checked against a dummy hash with the same parameters, so a
  wrong password costs the same time whether the account exists or not.

Waiting happens on the caller's event loop (``verify_async``) where there is one, so waiting
sign-ins hold no request thread; blocking callers use ``verify``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shotlog.errors import ShotlogError

__all__ = [
    "MAX_LOGIN",
    "MAX_PASSWORD",
    "MAX_WAITING",
    "SLOTS",
    "WAIT_SECONDS",
    "PasswordChecks",
    "PasswordsBusy",
    "checks",
    "hash_password",
    "plausible",
]


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


#: password checks that run at once in this process
SLOTS = max(1, min(_cpus(), 4))
#: seconds a check waits for a slot before the sign-in is answered "busy"
WAIT_SECONDS = 10.0
#: checks that may wait at once; more are answered "busy" at once
MAX_WAITING = 64 * SLOTS
#: a HumanUser login is a text field of at most 255 characters
MAX_LOGIN = 255
#: the web form sets passwords of at most 1,024 characters; longer ones cannot match
MAX_PASSWORD = 4096


class PasswordsBusy(ShotlogError):
    """Too many passwords are being checked at once: the caller should try again shortly."""

    def __init__(self) -> None:
        super().__init__(
            "shotlog is busy checking other sign-ins; nothing was checked. Try again in a moment."
        )


def plausible(login: str, password: str) -> bool:
    """Whether ``login``/``password`` could sign anyone in (pure; no hashing, no database)."""
    return 0 < len(login) <= MAX_LOGIN and 0 < len(password) <= MAX_PASSWORD


class PasswordChecks:
    """Argon2 hashing and verification on a bounded set of threads (one per process: ``checks``)."""

    def __init__(
        self, slots: int = SLOTS, wait: float = WAIT_SECONDS, max_waiting: int = MAX_WAITING
    ) -> None:
        self.slots, self.wait, self.max_waiting = slots, wait, max_waiting
        self._hasher = PasswordHasher()
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._pending = 0  # submitted and not finished: running (up to ``slots``) or waiting
        self._lock = threading.Lock()
        self._dummy: str | None = None

    # -- the checks -------------------------------------------------------------------------------

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches the ``stored`` hash (None: no account; a dummy is checked).

        Blocks the calling thread; raises ``PasswordsBusy`` when no slot frees in time.
        """
        future = self._submit(stored, password)
        try:
            return future.result(timeout=self.wait)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise PasswordsBusy() from None

    async def verify_async(self, stored: str | None, password: str) -> bool:
        """``verify`` for an event loop: the wait for a slot holds no thread."""
        future = asyncio.wrap_future(self._submit(stored, password))
        try:
            return await asyncio.wait_for(future, self.wait)
        except TimeoutError:  # wait_for has cancelled the check if it had not started
            raise PasswordsBusy() from None

    def hash(self, password: str) -> str:
        """The Argon2id hash to store for ``password``, with the parameters ``verify`` expects.

        Run on the calling thread, outside any write transaction (``shotlog.connection`` hashes
        before it opens one): setting a password is rare, and is not bounded like sign-ins."""
        return self._hasher.hash(password)

    # -- plumbing ---------------------------------------------------------------------------------

    def _submit(self, stored: str | None, password: str) -> concurrent.futures.Future[bool]:
        with self._lock:
            if self._pending >= self.slots + self.max_waiting:
                raise PasswordsBusy()
            self._pending += 1
            if self._pool is None:
                self._pool = concurrent.futures.ThreadPoolExecutor(self.slots, thread_name_prefix="argon2")
            pool = self._pool
        future = pool.submit(self._check, stored, password)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future: concurrent.futures.Future[bool]) -> None:
        with self._lock:
            self._pending -= 1

    def _check(self, stored: str | None, password: str) -> bool:
        if not stored:
            # The same work as a real check, so that a missing account takes as long as a wrong
            # password; the dummy's secret is random and never leaves this object.
            with contextlib.suppress(VerificationError, InvalidHashError):
                self._hasher.verify(self._dummy_hash(), password)
            return False
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def _dummy_hash(self) -> str:
        with self._lock:
            dummy = self._dummy
        if dummy is None:
            dummy = self._hasher.hash(secrets.token_hex(32))
            with self._lock:
                self._dummy = self._dummy or dummy
                dummy = self._dummy
        return dummy


#: the process's password checks
checks = PasswordChecks()


def hash_password(password: str) -> str:
    """The Argon2id hash ``HumanUser.password_proxy`` stores for ``password``."""
    return checks.hash(password)
