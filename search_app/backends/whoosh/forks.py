"""Worker processes that die with the build: a fork hook, and the write locks a forked worker must not keep.

os.register_at_fork is process-wide, so what it acts on is process state by nature: it lives in
the one ForkGuard of the process (FORKS), changed only through its methods.
"""

from __future__ import annotations

import ctypes
import os
import signal

_PR_SET_PDEATHSIG = 1


class ForkGuard:
    """Arms every forked child to die with its parent, and closes the parent's write locks in it."""

    def __init__(self) -> None:
        self._installed = False
        self._parent = 0  # pid of the process that last forked, recorded before the fork
        self._locks: set[int] = set()  # descriptors of the write locks this process holds (indexer.write_lock)

    def install(self) -> None:
        """Make every process forked from now on die with its parent."""
        if not self._installed:
            os.register_at_fork(before=self._record_parent, after_in_child=self.arm_child)
            self._installed = True

    def hold_lock(self, fd: int) -> None:
        """Record a write lock's descriptor, so that a worker forked while it is held closes it."""
        self.install()
        self._locks.add(fd)

    def release_lock(self, fd: int) -> None:
        """Forget a write lock's descriptor (its holder closes it)."""
        self._locks.discard(fd)

    def set_parent(self, pid: int) -> None:
        """Pretend the last fork was made by pid (tests: a parent that died before the child armed its signal)."""
        self._parent = pid

    def _record_parent(self) -> None:
        """Before a fork: remember who the parent is, so the child can tell if it already died."""
        self._parent = os.getpid()

    def arm_child(self) -> None:
        """In a forked worker: drop inherited write locks and arm SIGKILL for when the build process dies."""
        for fd in list(self._locks):  # an orphaned worker must never keep the lock held
            try:
                os.close(fd)
            except OSError:
                pass
        self._locks.clear()
        parent = self._parent or os.getppid()
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # not Linux: nothing to arm
            return
        if os.getppid() != parent:  # the parent died (even mid-fork) before the signal was armed
            os._exit(1)


FORKS = ForkGuard()
