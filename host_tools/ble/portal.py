"""An asyncio loop in a thread, so the synchronous sync client (two primitives: write, read) can drive bleak,
which is asynchronous. One portal per transport; closed with it."""

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any


class Portal:
    def __init__(self, name: str = "bztoken-ble") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, coro: Coroutine[Any, Any, Any], timeout: float | None = None) -> Any:
        """Run coro on the portal's loop and wait for its result (its exception is raised here)."""
        fut = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return fut.result(timeout)
        except TimeoutError:
            fut.cancel()
            raise

    def close(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self.loop.close()
