"""The student side of the channel: runs INSIDE the student's kernel, serves the tests.

The grading worker sends the kernel one silent execute_request (no history) that calls
`serve(socket_path, user_ns)`: connect to the trusted runner's socket, answer its requests
on the notebook's globals until it sends "done". Everything here is untrusted by design:
student code may replace or break this module; that can only make its own tests fail,
because the trusted side accepts nothing but plain data and handles from it.

Objects that are not plain data are kept in `_STATE.objects` and sent as handles; the
table lives as long as the kernel, so a proxy the tests keep in one test cell still works
in the next.
"""
from __future__ import annotations

import builtins
import socket
import time
import types
from collections.abc import Callable
from typing import Any

from .endpoint import Endpoint
from .protocol import MIRRORED_ERRORS, Codec, Op, ProtocolError

CONNECT_SECONDS = 30


class _State:
    def __init__(self):
        self.objects: dict[int, Any] = {}
        self.ids: dict[int, int] = {}      # id(obj) -> handle, so one object keeps one handle
        self.errstates: list[dict] = []
        self.endpoint: Endpoint | None = None


_STATE = _State()


class TrustedObject:
    """An object of the tests, usable only through the methods they exposed."""
    __slots__ = ("_handle", "_methods")

    def __init__(self, handle: int, methods: list[str]):
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_methods", tuple(methods))

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name not in object.__getattribute__(self, "_methods"):
            raise AttributeError(f"the tests' object offers only the methods "
                                 f"{', '.join(object.__getattribute__(self, '_methods'))}")

        def method(*args: Any, **kwargs: Any) -> Any:
            return _STATE.endpoint.request("call_method", [self, name, list(args), kwargs])
        return method

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if "__call__" not in object.__getattribute__(self, "_methods"):
            raise TypeError("this object of the tests is not callable")
        return _STATE.endpoint.request("call_method", [self, "__call__", list(args), kwargs])

    def __repr__(self) -> str:
        return f"<object of the tests: {', '.join(object.__getattribute__(self, '_methods'))}>"


class TrustedError(Exception):
    """Raised in student code when a call into the tests' objects fails."""


_BUILTIN_ERRORS = {name: getattr(builtins, name) for name in MIRRORED_ERRORS}


def _make_error(payload: dict) -> BaseException:
    klass = _BUILTIN_ERRORS.get(payload.get("type"), TrustedError)
    return klass(str(payload.get("msg", "")))


def _export(value: Any) -> dict:
    key = id(value)
    handle = _STATE.ids.get(key)
    if handle is None or _STATE.objects.get(handle) is not value:
        handle = len(_STATE.objects) + 1
        _STATE.objects[handle] = value
        _STATE.ids[key] = handle
    return {"$h": handle}


def _lookup(handle: int) -> Any:
    if handle not in _STATE.objects:
        raise ProtocolError(f"unknown student handle {handle}")
    return _STATE.objects[handle]


def _remote_id(value: Any) -> int | None:
    if type(value) is TrustedObject:
        return object.__getattribute__(value, "_handle")
    return None


def _is_class_method(target: Any, name: str, value: Any) -> bool:
    """Whether `value` (= getattr(target, name)) is the method `name` of target's class
    bound to target, not an instance attribute: the trusted side then asks only once per
    test cell (proxy.TrustedChannel.getattr)."""
    if type(value) is not types.MethodType or value.__self__ is not target:
        return False
    try:
        instance = vars(target)
    except TypeError:  # no __dict__ (__slots__)
        instance = {}
    return name not in instance and getattr(type(target), name, None) is value.__func__


def _handler(namespace: dict) -> Callable[[str, Any], Any]:
    def handle(op: str, args: Any) -> Any:
        if op == Op.GLOBAL:
            if args not in namespace:
                raise NameError(f"name {args!r} is not defined in your notebook")
            return namespace[args]
        if op == Op.SET_GLOBAL:
            namespace[args[0]] = args[1]
            return None
        if op == Op.ERRSTATE_ENTER:
            import numpy as np
            _STATE.errstates.append(np.seterr(**args))
            return None
        if op == Op.ERRSTATE_EXIT:
            import numpy as np
            if _STATE.errstates:
                np.seterr(**_STATE.errstates.pop())
            return None
        if op == Op.FIGURES:
            from coursepkg.grading import describe_figures
            return describe_figures(bool(args))
        target, *rest = args
        if op == Op.CALL:
            return target(*rest[0], **rest[1])
        if op == Op.GETATTR:
            value = getattr(target, rest[0])
            return [value, _is_class_method(target, rest[0], value)]
        if op == Op.SETATTR:
            setattr(target, rest[0], rest[1])
            return None
        if op == Op.GETITEM:
            return target[rest[0]]
        if op == Op.SETITEM:
            target[rest[0]] = rest[1]
            return None
        simple = {Op.LEN: len, Op.ITER: iter, Op.NEXT: next, Op.BOOL: bool, Op.REPR: repr,
                  Op.STR: str}
        if op in simple:
            return simple[op](target)
        if op == Op.CONTAINS:
            return rest[0] in target
        raise ValueError(f"unknown request {op!r}")
    return handle


def serve(path: str, namespace: dict) -> None:
    """Connect to the trusted runner at `path` and serve it until it is done."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    give_up = time.monotonic() + CONNECT_SECONDS
    while True:
        try:
            sock.connect(path)
            break
        except OSError:
            if time.monotonic() > give_up:
                raise
            time.sleep(0.01)
    serve_socket(sock, namespace)


def serve_socket(sock: socket.socket, namespace: dict) -> None:
    """Serve the tests on a connected socket until they are done; closes it."""
    codec = Codec(export=_export, remote_id=_remote_id,
                  make_remote=lambda h, methods: TrustedObject(h, methods), lookup=_lookup)
    _STATE.endpoint = Endpoint(sock, codec, _handler(namespace), _make_error)
    try:
        _STATE.endpoint.serve_until_done()
    finally:
        sock.close()
        while _STATE.errstates:  # a test that failed inside student_errstate
            import numpy as np
            np.seterr(**_STATE.errstates.pop())
