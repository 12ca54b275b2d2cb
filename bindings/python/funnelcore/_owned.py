"""One lifetime for every object that owns a library handle."""
from typing import Any


class Owned:
    """Owns a C handle in ``self._ptr``; subclasses say how to free it.

    ``close()`` frees it at once (twice is harmless); the object is also a
    context manager, and the handle is freed when the object is collected.
    """

    _ptr: Any = None

    def _release(self, ptr: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        ptr, self._ptr = self._ptr, None
        if ptr is not None:
            self._release(ptr)

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
