"""The trusted runner's backend of coursepkg.grading: what `expose`, `get_student_global`,
`student_figures`, ... do when the test cells run here and the student's globals are in
another process, behind the channel (autograder/channel/proxy.py)."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from autograder.channel.protocol import Op
from autograder.channel.proxy import TrustedChannel
from coursepkg.grading import MISSING


class TrustedBackend:
    """The student's globals are in another process, behind `channel`."""

    def __init__(self, channel: TrustedChannel):
        self._channel = channel

    def in_trusted_grading(self) -> bool:
        return True

    def expose(self, obj: Any, methods: tuple[str, ...]) -> Any:
        return self._channel.expose(obj, methods)

    def expose_callable(self, function: Any) -> Any:
        return self._channel.expose(function, ("__call__",))

    def set_student_global(self, name: str, value: Any) -> None:
        self._channel.request(Op.SET_GLOBAL, [name, value])

    def get_student_global(self, name: str, default: Any) -> Any:
        try:
            return self._channel.request(Op.GLOBAL, name)
        except NameError:
            if default is MISSING:
                raise
            return default

    @contextlib.contextmanager
    def student_errstate(self, **kwargs: str) -> Iterator[None]:
        self._channel.request(Op.ERRSTATE_ENTER, kwargs)
        try:
            yield
        finally:
            self._channel.request(Op.ERRSTATE_EXIT, None)

    def student_figures(self, close: bool) -> list[list[dict]]:
        figures = self._channel.request(Op.FIGURES, close)
        if type(figures) is not list:
            raise TypeError("the student kernel sent no list of figures")
        return figures


