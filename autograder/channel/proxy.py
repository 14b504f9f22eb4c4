"""The trusted side of the channel: proxies of student objects, student errors, exposure.

`TrustedChannel` owns the table of objects the tests exposed (`expose(obj, "m", ...)`);
the student side may call exactly those methods on them and nothing else: no attribute
reads, no dunders, so no walk to ``__globals__``, ``__class__`` or frames. Any other
trusted object that the tests try to send to student code raises TypeError.

`RemoteObject` stands for a student object: every operation on it is one request.
Dunder attribute names are refused locally (numpy would otherwise ask a proxy for
``__array_interface__`` and trust a pointer that student code chose), except the
descriptive strings in READABLE_DUNDERS.

Student exceptions arrive as `RemoteError`; for the builtin names in `MIRRORED` as a
subclass of both RemoteError and that builtin (``except ValueError`` works), for any
other name (SystemExit, KeyboardInterrupt, custom classes) as plain RemoteError.
"""
from __future__ import annotations

import builtins
import socket
from collections.abc import Iterator
from typing import Any

from .endpoint import Endpoint
from .protocol import MIRRORED_ERRORS, Codec, Op, ProtocolError

# dunders a proxy reads remotely: descriptive strings only (what a test may show or
# check, best effort: student code can fake them), never protocol hooks like
# __array_interface__ that Python or numpy would act on
READABLE_DUNDERS = frozenset({"__module__", "__name__", "__qualname__", "__doc__"})
MESSAGE_LIMIT = 500
REPR_LIMIT = 2000
MIRRORED = MIRRORED_ERRORS


class RemoteError(Exception):
    """An exception raised by student code, as the student's side reported it."""
    remote_type = "Exception"


CHANNEL_ENAME = "ChannelError"
NOT_SERVED = "the notebook's kernel did not serve this test"
BROKEN = "the notebook's kernel broke the tests' channel (a malformed or refused message)"


class ChannelError(BaseException):
    """The student's side did not serve a request: its kernel never connected, or the
    connection broke, or a message was malformed, refused or undecodable. Never the
    student's code's own exception, and a BaseException so that a test's
    ``except Exception`` does not take it for one: the cell fails, the hand-in is marked
    for review (`TrustedChannel.detach`)."""


_ERROR_CLASSES = {name: type(name, (RemoteError, getattr(builtins, name)),
                             {"__module__": "student", "remote_type": name})
                  for name in MIRRORED}


def make_remote_error(payload: dict) -> RemoteError:
    name = str(payload.get("type", "Exception"))[:100]
    message = str(payload.get("msg", ""))[:MESSAGE_LIMIT]
    klass = _ERROR_CLASSES.get(name)
    if klass is None:
        error = RemoteError(f"{name}: {message}")
        error.remote_type = name
        return error
    try:  # (MemoryError's __new__ refuses klass.__new__(klass, ...): construct normally)
        error = klass(message)
    except Exception:
        error = RemoteError(f"{name}: {message}")
        error.remote_type = name
        return error
    if name == "StopIteration":
        error.value = None
    return error


class Exposed:
    """What `expose()` returns in trusted grading: `obj` reachable only through `methods`."""
    __slots__ = ("obj", "methods")

    def __init__(self, obj: Any, methods: tuple[str, ...]):
        bad = [m for m in methods if type(m) is not str or m.startswith("_") and m != "__call__"]
        if bad:
            raise ValueError(f"expose(): method names must be public names (or \"__call__\" "
                             f"for a function, see expose_callable), got {bad!r}")
        self.obj, self.methods = obj, tuple(methods)

    def __repr__(self) -> str:
        return f"<{type(self.obj).__name__} of the tests, exposed: {', '.join(self.methods)}>"


class RemoteObject:
    """A student object living in the student kernel, reached through the channel."""
    __slots__ = ("_channel", "_handle", "_methods")

    def __init__(self, channel: TrustedChannel, handle: int):
        object.__setattr__(self, "_channel", channel)
        object.__setattr__(self, "_handle", handle)

    def _op(self, op: str, *args: Any) -> Any:
        return object.__getattribute__(self, "_channel").request(op, [self, *args])

    def __getattribute__(self, name: str) -> Any:
        if name in READABLE_DUNDERS:  # else found on this class (__module__, __doc__)
            return object.__getattribute__(self, "_channel").getattr(self, name)
        return object.__getattribute__(self, name)

    def __getattr__(self, name: str) -> Any:
        if (name.startswith("__") and name.endswith("__") and name not in READABLE_DUNDERS) \
                or name.startswith("_repr_") or name.startswith("_ipython"):
            raise AttributeError(f"{name} of a student object is not read through the channel")
        return object.__getattribute__(self, "_channel").getattr(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__getattribute__(self, "_channel").forget_methods(self)
        self._op(Op.SETATTR, name, value)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._op(Op.CALL, list(args), kwargs)

    def __getitem__(self, key: Any) -> Any:
        return self._op(Op.GETITEM, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._op(Op.SETITEM, key, value)

    def __len__(self) -> int:
        n = self._op(Op.LEN)
        if type(n) is not int or n < 0:
            raise TypeError("len() of a student object did not give a non-negative int")
        return n

    def __iter__(self) -> Iterator[Any]:
        iterator = self._op(Op.ITER)
        if not isinstance(iterator, RemoteObject):
            raise TypeError("iter() of a student object did not give an iterator")
        while True:
            try:
                yield iterator._op(Op.NEXT)
            except StopIteration:
                return

    def __contains__(self, item: Any) -> bool:
        return self._op(Op.CONTAINS, item) is True

    def __bool__(self) -> bool:
        value = self._op(Op.BOOL)
        if type(value) is not bool:
            raise TypeError("bool() of a student object did not give a bool")
        return value

    def __repr__(self) -> str:
        return _text(self._op(Op.REPR))

    def __str__(self) -> str:
        return _text(self._op(Op.STR))


def _text(value: Any) -> str:
    return value[:REPR_LIMIT] if type(value) is str else "<student object>"


class TrustedChannel:
    """The trusted process's end of one connection to the student kernel's agent."""

    def __init__(self):
        self._exports: dict[int, Exposed] = {}   # kept for the whole notebook
        self._next_handle = 0
        self.codec = Codec(export=self._export, remote_id=self._remote_id,
                           make_remote=lambda h, _methods: RemoteObject(self, h),
                           lookup=self._lookup)
        self.endpoint: Endpoint | None = None
        self.n_requests, self.seconds_waiting = 0, 0.0
        self.resolved: list[str] = []  # audit: student globals the tests looked up
        self.failure: tuple[str, str] | None = None  # this cell's channel failure (_fail)
        self._unserved: str | None = None
        self._methods: dict[tuple[int, str], RemoteObject] = {}  # see getattr()

    def attach(self, sock: socket.socket, deadline: float | None) -> None:
        """Use `sock` (the agent's connection for one test cell) until `detach`."""
        self.endpoint = Endpoint(sock, self.codec, self._serve, make_remote_error)
        self.endpoint.deadline = deadline
        self.failure = None

    def attach_unserved(self, reason: str) -> None:
        """No connection for this cell: every request raises ChannelError(`reason`)."""
        self.endpoint, self.failure = None, None
        self._unserved = reason

    def detach(self) -> tuple[str, str] | None:
        """Tell the agent the cell is done (when the connection still works), close it;
        returns why the channel failed during the cell, (message shown, detail for the
        instructor), or None when it did not."""
        endpoint, self.endpoint = self.endpoint, None
        failure, self.failure, self._unserved = self.failure, None, None
        self._methods.clear()  # student cells may redefine methods before the next test
        if endpoint is None:
            return failure
        self.n_requests += endpoint.n_requests
        self.seconds_waiting += endpoint.seconds_waiting
        try:
            if not endpoint.broken:
                endpoint.done()
        except OSError:
            pass
        finally:
            endpoint.sock.close()
        return failure

    def _fail(self, public: str, detail: str = "") -> ChannelError:
        """Note the cell's first channel failure; the error to raise in the tests. The
        message is ours (`public`): what the student's side sent is kept for the
        instructor's record only, it may carry anything."""
        if self.failure is None:
            self.failure = (public, detail[:300])
        return ChannelError(public)

    def request(self, op: str, args: Any = None) -> Any:
        if self.endpoint is None:
            raise self._fail(getattr(self, "_unserved", None) or NOT_SERVED)
        if op == Op.GLOBAL:
            self.resolved.append(str(args))
        try:
            return self.endpoint.request(op, args)
        except TimeoutError:
            raise TimeoutError("the notebook's code did not answer within the cell timeout") \
                from None
        except (ProtocolError, OSError) as error:
            raise self._fail(BROKEN, f"{type(error).__name__}: {error}") from None

    def getattr(self, target: RemoteObject, name: str) -> Any:
        """``target.name``, one request; a method the student's class defines is asked for
        once per test cell (the agent says which: reply [value, is_class_method]), so that
        a loop calling ``net.forward(x)`` costs one request per call, not two. Believing
        the agent is safe: a wrong claim only calls the student's own code again."""
        key = (object.__getattribute__(target, "_handle"), name)
        method = self._methods.get(key)
        if method is not None:
            return method
        reply = self.request(Op.GETATTR, [target, name])
        if type(reply) is not list or len(reply) != 2 or type(reply[1]) is not bool:
            raise self._fail(BROKEN, f"malformed getattr reply: {str(reply)[:100]}")
        value, is_method = reply
        if is_method and type(value) is RemoteObject:
            self._methods[key] = value
        return value

    def forget_methods(self, target: RemoteObject) -> None:
        handle = object.__getattribute__(target, "_handle")
        for key in [k for k in self._methods if k[0] == handle]:
            del self._methods[key]

    def expose(self, obj: Any, methods: tuple[str, ...]) -> Exposed:
        return Exposed(obj, methods)

    def _export(self, value: Any) -> dict:
        if not isinstance(value, Exposed):
            raise TypeError(f"a {type(value).__name__} of the tests cannot be passed to "
                            "student code: pass plain data (numbers, str, numeric arrays, "
                            "lists/tuples/dicts of those) or expose(obj, 'method', ...)")
        self._next_handle += 1
        self._exports[self._next_handle] = value
        return {"$h": self._next_handle, "m": list(value.methods)}

    @staticmethod
    def _remote_id(value: Any) -> int | None:
        if type(value) is RemoteObject:
            return object.__getattribute__(value, "_handle")
        return None

    def _lookup(self, handle: int) -> Any:
        exposed = self._exports.get(handle)
        if exposed is None:
            raise ProtocolError(f"handle {handle} was never issued by the tests")
        return exposed

    def _serve(self, op: str, args: Any) -> Any:
        """The student side may only call listed methods of exposed objects."""
        if op != "call_method" or type(args) is not list or len(args) != 4:
            raise PermissionError(f"request {op!r} is not allowed to student code")
        target, name, call_args, kwargs = args
        if not isinstance(target, Exposed) or type(name) is not str or \
                name not in target.methods or type(call_args) is not list or \
                type(kwargs) is not dict or not all(type(k) is str for k in kwargs):
            raise PermissionError(f"method {str(name)[:60]!r} is not exposed to student code")
        return getattr(target.obj, name)(*call_args, **kwargs)
