"""Fault injection for reliability tests: fail, drop or delay the next calls of a command."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

ANY = "*"


@dataclass
class Fault:
    kind: str  # "fail", "drop", "delay", "lose" or "cut"
    remaining: int
    status: int = 503
    message: str = "injected failure"
    seconds: float = 0.0
    #: calls let through untouched before the fault starts
    skip: int = 0


class Faults:
    """Planned faults by command name (`*` matches every command), used up in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plans: dict[str, list[Fault]] = {}
        self.fired: Counter[str] = Counter()
        #: title prefixes of the transactions whose pings go unanswered (ignore_pings)
        self._ignored_pings: list[str] = []

    def fail_next(self, command: str, count: int = 1, status: int = 503,
                  message: str = "injected failure") -> None:
        """Answer the next `count` calls with an HTTP error (503 means "proxy unavailable")."""
        self._add(command, Fault("fail", count, status=status, message=message))

    def drop_next(self, command: str, count: int = 1) -> None:
        """Close the connection of the next `count` calls without answering."""
        self._add(command, Fault("drop", count))

    def lose_answer_next(self, command: str, count: int = 1, skip: int = 0) -> None:
        """Do the work of the next `count` calls, then close their connections without
        answering: a proxy or a network that fails after the cluster acted, so that the
        client sees a failure for a change that happened. A retry carrying the same
        mutation id gets the first answer (FakeState.once), as from a cluster's response
        keeper; one without it does the work again. The first `skip` calls are answered."""
        self._add(command, Fault("lose", count, skip=skip))

    def cut_next(self, command: str, count: int = 1) -> None:
        """Answer the next `count` calls with their headers and the first half of their body
        (cut inside a row, for a table), then close the connection: a proxy or a network
        that breaks half-way through a response the client has begun to read."""
        self._add(command, Fault("cut", count))

    def delay_next(self, command: str, seconds: float, count: int = 1) -> None:
        """Answer the next `count` calls only after `seconds`."""
        self._add(command, Fault("delay", count, seconds=seconds))

    def ignore_pings(self, title_prefix: str) -> None:
        """From now on close, unanswered, every ping of a transaction whose title starts
        with `title_prefix`, while other transactions are pinged as usual: a proxy that
        stops answering for one transaction. Unpinged, it ends when its lease runs out."""
        with self._lock:
            self._ignored_pings.append(title_prefix)

    def ignores_ping(self, title: str) -> bool:
        with self._lock:
            ignored = any(title.startswith(prefix) for prefix in self._ignored_pings)
            if ignored:
                self.fired["ping_transaction"] += 1
            return ignored

    def clear(self) -> None:
        with self._lock:
            self._plans.clear()
            self._ignored_pings.clear()

    def _add(self, command: str, fault: Fault) -> None:
        with self._lock:
            self._plans.setdefault(command, []).append(fault)

    def take(self, command: str) -> Fault | None:
        with self._lock:
            for key in (command, ANY):
                plans = self._plans.get(key)
                while plans:
                    fault = plans[0]
                    if fault.remaining <= 0:
                        plans.pop(0)
                        continue
                    if fault.skip > 0:
                        fault.skip -= 1
                        break
                    fault.remaining -= 1
                    self.fired[command] += 1
                    return fault
            return None
