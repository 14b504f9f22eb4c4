"""The channel's wire format: frames of one JSON header plus raw binary buffers, and the
codec that turns allowed Python values into (JSON, buffers) and back.

Frame (all integers little-endian)::

    u32 header_len | u32 n_buffers | n_buffers x u64 buffer_len | header (UTF-8 JSON) | buffers

Limits are checked before anything is allocated: header <= MAX_HEADER bytes, at most
MAX_BUFFERS buffers, all buffers together <= MAX_FRAME bytes.

Values (`Codec.encode` / `Codec.decode`), as JSON:

    None, bool, int (|n| < 2**1000), float (NaN/inf allowed), str (<= MAX_STR chars)
    {"$l": [...]} list, {"$t": [...]} tuple, {"$d": [[key, value], ...]} dict (str/int keys)
    {"$a": buffer_index, "dt": "<f8", "sh": [2, 3]}   numeric numpy array (DTYPES only)
    {"$n": <array>}                                  coursepkg.dp.Node, rebuilt from its value
    {"$h": id, "m": [...]}   an object of the SENDER, by handle ("m": its callable methods)
    {"$r": id}               an object of the RECEIVER that the sender got as a handle

numpy scalars travel as Python numbers. Decoding never unpickles, never imports a name
taken from the wire and never calls a constructor other than numpy's ``frombuffer`` on
an allowlisted dtype and ``Node(array)``. An array takes over its received buffer (no
copy; each buffer serves one array only), so a frame costs its size once. Nesting depth and item counts
are bounded; an unknown tag, dtype or handle id raises ProtocolError.
"""
from __future__ import annotations

import json
import math
import socket
import struct
import time
from collections.abc import Callable
from typing import Any

import numpy as np


class Op:
    """The requests the trusted side sends (proxy.py, runner/backend.py) and the student's
    side serves (agent.py): each name once, here."""
    GLOBAL = "global"                  # a student global, by name
    SET_GLOBAL = "set_global"          # [name, value]
    ERRSTATE_ENTER = "errstate_enter"  # numpy.seterr(**kwargs) in the student's kernel
    ERRSTATE_EXIT = "errstate_exit"
    FIGURES = "figures"                # what the student's matplotlib figures hold
    CALL = "call"                      # [target, args, kwargs]
    GETATTR, SETATTR = "getattr", "setattr"
    GETITEM, SETITEM = "getitem", "setitem"
    LEN, ITER, NEXT, BOOL, REPR, STR = "len", "iter", "next", "bool", "repr", "str"
    CONTAINS = "contains"


# Exceptions that cross the channel as themselves, in both directions (a student's
# ValueError is a ValueError in the tests, a test's TypeError one in the student's code);
# any other name arrives as the receiving side's generic error.
MIRRORED_ERRORS = ("ValueError", "TypeError", "IndexError", "KeyError", "AttributeError",
                   "NotImplementedError", "ZeroDivisionError", "FloatingPointError",
                   "OverflowError", "ArithmeticError", "RuntimeError", "AssertionError",
                   "NameError", "LookupError", "StopIteration", "RecursionError",
                   "MemoryError", "UnboundLocalError")

MAX_HEADER = 16 * 2**20
MAX_BUFFERS = 4096
MAX_FRAME = 512 * 2**20
MAX_STR = 4 * 2**20
MAX_DEPTH = 40
MAX_ITEMS = 2_000_000
MAX_NDIM = 32
MAX_INT_BITS = 1000
# dtype strings we produce and accept (little-endian or byte-order free); nothing else
DTYPES = {np.dtype(name).str: np.dtype(name) for name in (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128")}
IOV_BATCH = 512  # buffers per sendmsg call
_PREFIX = struct.Struct("<II")
_LENGTH = struct.Struct("<Q")


class ProtocolError(Exception):
    """A frame or value that breaks the protocol (malformed, too big, not allowed)."""


class ChannelClosed(ProtocolError):
    """The other side closed the connection."""


# --- framing -----------------------------------------------------------------------------
def _recv_exact(sock: socket.socket, n: int, deadline: float | None) -> bytearray:
    data = bytearray(n)
    view, got = memoryview(data), 0
    while got < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from the other side of the channel in time")
            sock.settimeout(left)
        try:
            count = sock.recv_into(view[got:], n - got)
        except TimeoutError:
            raise TimeoutError("no answer from the other side of the channel in time") from None
        if count == 0:
            raise ChannelClosed("the other side closed the channel")
        got += count
    return data


def check_frame(header: dict, buffers: list = ()) -> tuple[bytes, list[memoryview]]:
    """(header as bytes, buffer views); ProtocolError for what the reader would refuse."""
    text = json.dumps(header, separators=(",", ":")).encode()
    views = [memoryview(b).cast("B") for b in buffers]
    if len(text) > MAX_HEADER or len(views) > MAX_BUFFERS or \
            sum(v.nbytes for v in views) > MAX_FRAME:
        raise ProtocolError(f"message too large for the channel (limits: header {MAX_HEADER} "
                            f"bytes, {MAX_BUFFERS} arrays, {MAX_FRAME} bytes of arrays)")
    return text, views


def write_frame(sock: socket.socket, header: dict, buffers: list = ()) -> None:
    """Send one frame; refuses (ProtocolError) what the reader would refuse."""
    send_checked(sock, *check_frame(header, buffers))


def send_checked(sock: socket.socket, text: bytes, views: list[memoryview]) -> None:
    """Send a frame that `check_frame` made (one sendmsg call unless the socket is full)."""
    sock.settimeout(None)
    head = _PREFIX.pack(len(text), len(views)) + \
        b"".join(_LENGTH.pack(v.nbytes) for v in views) + text
    parts = [memoryview(head), *(v for v in views if v.nbytes)]
    while parts:
        sent = sock.sendmsg(parts[:IOV_BATCH])  # the kernel takes at most IOV_MAX (1024)
        while parts and sent >= parts[0].nbytes:
            sent -= parts[0].nbytes
            parts.pop(0)
        if parts and sent:
            parts[0] = parts[0][sent:]


def read_frame(sock: socket.socket, deadline: float | None = None) -> tuple[dict, list]:
    """Receive one frame: (header dict, list of bytearray buffers)."""
    header_len, n_buffers = _PREFIX.unpack(_recv_exact(sock, _PREFIX.size, deadline))
    if header_len > MAX_HEADER or n_buffers > MAX_BUFFERS:
        raise ProtocolError(f"frame refused: header of {header_len} bytes / {n_buffers} "
                            f"buffers (limits {MAX_HEADER} / {MAX_BUFFERS})")
    lengths = [n for (n,) in _LENGTH.iter_unpack(
        _recv_exact(sock, n_buffers * _LENGTH.size, deadline))] if n_buffers else []
    if sum(lengths) > MAX_FRAME:
        raise ProtocolError(f"frame refused: {sum(lengths)} bytes of buffers (limit {MAX_FRAME})")
    try:
        header = json.loads(_recv_exact(sock, header_len, deadline).decode())
    except (UnicodeDecodeError, ValueError) as error:
        raise ProtocolError(f"frame refused: header is not JSON ({error})") from None
    if not isinstance(header, dict):
        raise ProtocolError("frame refused: header is not a JSON object")
    return header, [_recv_exact(sock, n, deadline) if n else bytearray() for n in lengths]


# --- values ------------------------------------------------------------------------------
class Codec:
    """Encodes/decodes values for one side of the channel.

    export(obj) -> {"$h": id, ...}: the side's policy for objects that are not plain data
        (student side: any object becomes a handle; trusted side: only exposed objects,
        else TypeError).
    remote_id(obj) -> int | None: the handle id when `obj` is a proxy of the OTHER side.
    make_remote(id, methods) -> proxy for a handle the other side sent.
    lookup(id) -> our own object that the other side sends back ({"$r": id}); raises
        ProtocolError for an id we never issued.
    """

    def __init__(self, export: Callable[[Any], dict], remote_id: Callable[[Any], int | None],
                 make_remote: Callable[[int, list], Any], lookup: Callable[[int], Any]):
        self.export, self.remote_id = export, remote_id
        self.make_remote, self.lookup = make_remote, lookup

    # encode ---------------------------------------------------------------------------
    def encode(self, value: Any) -> tuple[Any, list]:
        buffers: list = []
        return self._enc(value, buffers, 0, [0]), buffers

    def _enc(self, v: Any, buffers: list, depth: int, count: list) -> Any:
        count[0] += 1
        if depth > MAX_DEPTH or count[0] > MAX_ITEMS:
            raise ProtocolError(f"value too deep or too big for the channel (depth "
                                f"{MAX_DEPTH}, {MAX_ITEMS} items)")
        if v is None or type(v) in (bool, float, str):
            if type(v) is str and len(v) > MAX_STR:
                raise ProtocolError(f"string of {len(v)} characters (limit {MAX_STR})")
            return v
        if type(v) is int:
            if v.bit_length() > MAX_INT_BITS:
                raise ProtocolError(f"integer of {v.bit_length()} bits (limit {MAX_INT_BITS})")
            return v
        handle = self.remote_id(v)
        if handle is not None:
            return {"$r": handle}
        if isinstance(v, np.ndarray):
            return self._enc_array(np.asarray(v), buffers)
        if isinstance(v, np.generic) and np.dtype(type(v)).str in DTYPES:
            return self._enc(v.item(), buffers, depth + 1, count)
        if type(v) in (list, tuple):
            tag = "$l" if type(v) is list else "$t"
            return {tag: [self._enc(x, buffers, depth + 1, count) for x in v]}
        if type(v) is dict:
            items = []
            for key, x in v.items():
                if type(key) not in (str, int):
                    raise TypeError(f"dict key {type(key).__name__} cannot cross the channel "
                                    "(str and int keys only)")
                items.append([key, self._enc(x, buffers, depth + 1, count)])
            return {"$d": items}
        node = _node_value(v)
        if node is not None:
            return {"$n": self._enc_array(node, buffers)}
        return self.export(v)

    @staticmethod
    def _enc_array(a: np.ndarray, buffers: list) -> dict:
        a = a.view(np.ndarray) if type(a) is not np.ndarray else a
        if not a.flags.c_contiguous:  # (np.ascontiguousarray would make 0-d arrays 1-d)
            a = a.copy(order="C")
        if a.dtype.byteorder == ">":
            a = a.astype(a.dtype.newbyteorder("<"))
        if a.dtype.str not in DTYPES:
            raise TypeError(f"numpy array of dtype {a.dtype} cannot cross the channel "
                            f"(numeric dtypes only: {', '.join(sorted(DTYPES))})")
        buffers.append(a.reshape(-1).view(np.uint8) if a.size else b"")
        return {"$a": len(buffers) - 1, "dt": a.dtype.str, "sh": list(a.shape)}

    # decode ---------------------------------------------------------------------------
    def decode(self, data: Any, buffers: list) -> Any:
        return self._dec(data, buffers, 0, [0])

    def _dec(self, d: Any, buffers: list, depth: int, count: list) -> Any:
        count[0] += 1
        if depth > MAX_DEPTH or count[0] > MAX_ITEMS:
            raise ProtocolError(f"value refused: deeper than {MAX_DEPTH} or more than "
                                f"{MAX_ITEMS} items")
        if d is None or type(d) in (bool, str, float):
            if type(d) is str and len(d) > MAX_STR:
                raise ProtocolError(f"value refused: string longer than {MAX_STR}")
            return d
        if type(d) is int:
            if d.bit_length() > MAX_INT_BITS:
                raise ProtocolError("value refused: integer too large")
            return d
        if type(d) is not dict or len(d) not in (1, 2, 3):
            raise ProtocolError(f"value refused: unexpected JSON {type(d).__name__}")
        if "$l" in d or "$t" in d:
            items = d.get("$l", d.get("$t"))
            if type(items) is not list or len(d) != 1:
                raise ProtocolError("value refused: malformed list/tuple")
            out = [self._dec(x, buffers, depth + 1, count) for x in items]
            return out if "$l" in d else tuple(out)
        if "$d" in d:
            if type(d["$d"]) is not list or len(d) != 1:
                raise ProtocolError("value refused: malformed dict")
            out = {}
            for pair in d["$d"]:
                if type(pair) is not list or len(pair) != 2 or type(pair[0]) not in (str, int):
                    raise ProtocolError("value refused: malformed dict item")
                out[pair[0]] = self._dec(pair[1], buffers, depth + 1, count)
            return out
        if "$a" in d:
            return _dec_array(d, buffers)
        if "$n" in d and len(d) == 1 and type(d["$n"]) is dict:
            from coursepkg.dp import Node
            return Node(_dec_array(d["$n"], buffers))
        if "$h" in d and type(d["$h"]) is int:
            methods = d.get("m", [])
            if type(methods) is not list or not all(type(m) is str for m in methods):
                raise ProtocolError("value refused: malformed handle")
            return self.make_remote(d["$h"], methods)
        if "$r" in d and type(d["$r"]) is int and len(d) == 1:
            return self.lookup(d["$r"])
        raise ProtocolError(f"value refused: unknown tag {sorted(d)[:3]}")


def _dec_array(d: dict, buffers: list) -> np.ndarray:
    index, dt, shape = d.get("$a"), d.get("dt"), d.get("sh")
    if type(index) is not int or not 0 <= index < len(buffers) or dt not in DTYPES or \
            type(shape) is not list or len(shape) > MAX_NDIM or len(d) != 3 or \
            not all(type(n) is int and n >= 0 for n in shape):
        raise ProtocolError(f"array refused: index/dtype/shape not allowed ({str(d)[:120]}); "
                            f"dtypes accepted: {', '.join(sorted(DTYPES))}")
    dtype, buffer = DTYPES[dt], buffers[index]
    if buffer is None:
        raise ProtocolError("array refused: its buffer was used by another array already")
    expected = math.prod(shape) * dtype.itemsize
    if expected != len(buffer):
        raise ProtocolError(f"array refused: shape {shape} of {dt} needs {expected} bytes, "
                            f"got {len(buffer)}")
    buffers[index] = None  # one array per buffer: the array owns the received bytes
    try:  # no copy: the received bytearray becomes the array's memory
        return np.frombuffer(buffer if isinstance(buffer, bytearray) else bytearray(buffer),
                             dtype=dtype).reshape(shape)
    except (ValueError, TypeError, OverflowError, MemoryError) as error:
        raise ProtocolError(f"array refused: {type(error).__name__}: {error}"[:200]) from None


def _node_value(v: Any) -> np.ndarray | None:
    """The value array when `v` is a coursepkg.dp.Node (without importing coursepkg)."""
    for klass in type(v).__mro__:
        if klass.__name__ == "Node" and klass.__module__ == "coursepkg.dp.node":
            value = object.__getattribute__(v, "value")
            return value if isinstance(value, np.ndarray) else np.asarray(value, dtype=float)
    return None


def error_payload(error: BaseException, limit: int = 2000) -> dict:
    """What crosses the channel for an exception: its type name and message, truncated."""
    try:
        message = str(error)
    except Exception:  # a student exception whose __str__ fails
        message = "(message could not be shown)"
    return {"type": type(error).__name__[:100], "msg": message[:limit]}
