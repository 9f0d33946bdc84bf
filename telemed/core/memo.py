"""A small per-process memory of the last things served, by key: least recently used go
first. For answers whose key already says everything they depend on (a digest of the
inputs, an ETag), so nothing in it can be served stale; each process has its own."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class Memo(Generic[V]):
    def __init__(self, size: int) -> None:
        self.size, self.lock = size, threading.Lock()
        self.items: OrderedDict[str, V] = OrderedDict()

    def get(self, key: str) -> V | None:
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def put(self, key: str, value: V) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def get_or_make(self, key: str, make: Callable[[], V]) -> V:
        """The value kept under ``key``, or ``make()``'s, kept from now on."""
        found = self.get(key)
        if found is None:
            found = make()
            self.put(key, found)
        return found

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
