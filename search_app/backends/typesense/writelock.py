"""One writer at a time on a cluster: a build or an update holds a lock the cluster itself keeps.

The lock is a collection named `<alias>-writer-lock`: creating a collection is atomic across the
cluster (Raft), so of two writers starting together exactly one succeeds, and the other is
refused at once, as with the embedded engine's flock. Its one document says who holds it and
until when; the holder pushes that expiry forward as it works, so a writer that crashed (or a
machine that died) blocks others for LEASE_S seconds at most, never forever.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from typesense import exceptions as ts_errors

from search_app.errors import BuildLocked

if TYPE_CHECKING:
    from search_app.backends.typesense.client import TypesenseClient

LEASE_S = 300.0  # how long a lock outlives its holder's last sign of life
SETUP_S = 150.0  # a lock without its document yet is someone's for this long (its writer may be retrying, 120 s)
LOCK_SCHEMA_FIELDS = [{"name": "holder", "type": "string"}, {"name": "expires", "type": "int64"}]


class WriterLock:
    """The cluster's writer lock, as one writer holds it (see the module's docstring)."""

    def __init__(self, client: TypesenseClient, action: str) -> None:
        self.client = client
        self.name = f"{client.alias}-writer-lock"
        self.action = action
        self.holder = f"{action} by {socket.gethostname()} pid {os.getpid()} ({secrets.token_hex(4)})"  # unique
        self._renewed = 0.0

    def acquire(self) -> None:
        """Take the lock, or BuildLocked at once naming who holds it; an expired lock is taken over."""
        for _attempt in range(2):
            try:
                self.client.write(self.client.client.collections.create, {"name": self.name, "fields": LOCK_SCHEMA_FIELDS})
            except ts_errors.ObjectAlreadyExists:
                held = self._holder()
                if held is None and self._age() < SETUP_S:  # just made: its writer is writing who it is
                    held = self._holder_soon() or {"holder": "build or update", "expires": time.time() + LEASE_S}
                if held is not None and held["expires"] > time.time():
                    raise BuildLocked(
                        f"Another {held['holder']} is writing to the search cluster (alive at "
                        f"{time.strftime('%H:%M:%S', time.localtime(held['expires'] - LEASE_S))}): "
                        "nothing was changed; run this again when it has finished.") from None
                self._drop()  # its holder stopped renewing it: crashed, or killed
                continue
            self.renew(force=True)
            return
        raise BuildLocked("Another writer took the search cluster's lock at the same moment: run this again.")

    def renew(self, force: bool = False) -> None:
        """Push the expiry forward (at most every few seconds), to show the writer is alive."""
        now = time.time()
        if not force and now - self._renewed < 5:
            return
        if not force:
            held = self._holder()
            if held is not None and held["holder"] != self.holder:  # expired and taken over: stop writing
                raise BuildLocked(f"This {self.action} lost the search cluster's writer lock to {held['holder']} "
                                  "(it stopped renewing it for too long): run it again.")
        document = {"id": "lock", "holder": self.holder, "expires": int(now + LEASE_S)}
        self.client.write(self.client._collection(self.name).documents.upsert, document)
        self._renewed = now

    def release(self) -> None:
        """Give the lock up (unless another writer has taken it over meanwhile)."""
        held = self._holder()
        if held is None or held["holder"] == self.holder:
            self._drop()

    def _holder(self) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.client._guard(self.client._collection(self.name).documents["lock"].retrieve)
        except ts_errors.ObjectNotFound:
            return None  # created, not yet written: its writer is about to (or died in between)
        return found

    def _holder_soon(self, tries: int = 5, pause: float = 0.1) -> dict[str, Any] | None:
        """The holder's document, asked for again a few times: a node that has not applied it yet (a follower
        a moment behind the leader) answers that it is missing, and the refusal should still say who holds it."""
        for _ in range(tries):
            time.sleep(pause)
            held = self._holder()
            if held is not None:
                return held
        return None

    def _age(self) -> float:
        try:
            info = self.client._guard(self.client._collection(self.name).retrieve)
        except ts_errors.ObjectNotFound:
            return SETUP_S  # gone meanwhile: nothing to wait for
        return time.time() - float(info.get("created_at") or 0)

    def _drop(self) -> None:
        with contextlib.suppress(ts_errors.ObjectNotFound):
            self.client._drop(self.name)


@contextlib.contextmanager
def writer_lock(client: TypesenseClient, action: str) -> Iterator[WriterLock]:
    """Hold the cluster's writer lock for a build or an update."""
    lock = WriterLock(client, action)
    lock.acquire()
    client.writer = lock  # its writes renew it
    try:
        yield lock
    finally:
        client.writer = None
        lock.release()
