"""The panel's workers take new connections least-busy first, and a dead worker never blocks."""
from __future__ import annotations

import os
import time

import pytest

from web import worker_shares
from web.worker_shares import WorkerShares


def test_a_worker_accepts_only_while_no_live_worker_holds_fewer_connections() -> None:
    shares = WorkerShares(2)
    shares.note(1, 3)
    assert shares.may_accept(0, 3), "a tie: both may take the next one"
    assert not shares.may_accept(0, 4), "one more than the other: the other takes it"
    assert shares.may_accept(1, 3)
    assert shares.counts() == [4, 3]


def test_a_worker_not_heard_from_lately_does_not_count(monkeypatch: pytest.MonkeyPatch) -> None:
    shares = WorkerShares(3)
    shares.note(1, 0)  # stopped or killed with no connection: it must not hold the door shut
    shares.note(2, 9)
    monkeypatch.setattr(worker_shares, "STALE_S", 0.05)
    time.sleep(0.1)
    assert shares.counts() == [None, None, None]
    assert shares.may_accept(0, 7), "alone: it takes every connection"


def test_the_counts_are_shared_with_a_forked_worker() -> None:
    shares = WorkerShares(2)
    pid = os.fork()
    if pid == 0:
        shares.note(1, 5)
        os._exit(0)
    os.waitpid(pid, 0)
    assert shares.counts()[1] == 5
    assert shares.may_accept(0, 5) and not shares.may_accept(0, 6)


def test_a_change_wakes_the_other_workers_and_not_the_one_that_changed() -> None:
    """A worker that stopped watching the socket sleeps; another's change must wake it, or both
    could sleep while connections queue (a hundred were accepted a couple a second)."""
    import select

    shares = WorkerShares(3)
    shares.wake_others(0)
    ready, _, _ = select.select([shares.ear(0), shares.ear(1), shares.ear(2)], [], [], 0.5)
    assert set(ready) == {shares.ear(1), shares.ear(2)}
