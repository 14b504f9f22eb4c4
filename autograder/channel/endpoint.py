"""Request/reply over one connection, re-entrant in both directions, one thread per side.

Messages (frame headers, see protocol.py)::

    {"op": NAME, "id": n, "a": <value>}        a request; "a" holds its arguments
    {"re": n, "ok": <value>}                  its reply
    {"re": n, "err": {"type":..., "msg":...}}  its failure (type name + message only)
    {"op": "done"}                            the trusted side ends the student's service

While a side waits for the reply to its request it serves the other side's requests
(a student SGD calling back into the tests' network while the tests wait on
``SGD.train``): calls nest like a stack, so a reply must answer the innermost request.
"""
from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

from .protocol import (
    ChannelClosed,
    Codec,
    ProtocolError,
    check_frame,
    error_payload,
    read_frame,
    send_checked,
    write_frame,
)


class Endpoint:
    """One side of a connection.

    handler(op, args) -> value serves the other side's requests; raising an exception sends
    it back as type name + message. make_error(payload) builds the exception raised here
    for a failed request of ours.
    """

    def __init__(self, sock: socket.socket, codec: Codec, handler: Callable[[str, Any], Any],
                 make_error: Callable[[dict], BaseException]):
        self.sock, self.codec, self.handler, self.make_error = sock, codec, handler, make_error
        self.deadline: float | None = None  # absolute time.monotonic() for every wait
        self.broken: str | None = None
        self._next_id = 0
        self.n_requests = 0          # ours, for the timing report
        self.seconds_waiting = 0.0

    def _send(self, header: dict, value: Any = None, key: str = "a") -> None:
        data, buffers = self.codec.encode(value)
        write_frame(self.sock, {**header, key: data}, buffers)

    def request(self, op: str, args: Any = None) -> Any:
        """Send a request and return its decoded reply, serving nested requests meanwhile."""
        if self.broken:
            raise ProtocolError(f"channel unusable: {self.broken}")
        self._next_id += 1
        my_id = self._next_id
        self._send({"op": op, "id": my_id}, args)
        self.n_requests += 1
        started = time.monotonic()
        try:
            while True:
                header, buffers = self._read()
                if "op" in header:
                    self._serve_one(header, buffers)
                    continue
                if header.get("re") != my_id:
                    raise self._break(f"reply to request {header.get('re')!r}, expected {my_id}")
                if "err" in header:
                    payload = header["err"]
                    if type(payload) is not dict:
                        raise self._break("malformed error reply")
                    try:
                        error = self.make_error(payload)
                    except Exception as failure:
                        raise self._break(f"error reply not usable: {failure!r}"[:300]) from None
                    raise error
                try:  # whatever decoding raises is the channel's failure, not the callee's
                    return self.codec.decode(header.get("ok"), buffers)
                except Exception as failure:
                    raise self._break(f"reply not decodable: {type(failure).__name__}: "
                                      f"{failure}"[:300]) from None
        finally:
            self.seconds_waiting += time.monotonic() - started

    def serve_until_done(self) -> None:
        """Serve the other side's requests until it sends "done" (the student side)."""
        while True:
            header, buffers = self._read()
            if header.get("op") == "done":
                return
            if "op" not in header:
                raise self._break("a reply without a request")
            self._serve_one(header, buffers)

    def done(self) -> None:
        write_frame(self.sock, {"op": "done"})

    def _read(self) -> tuple[dict, list]:
        try:
            return read_frame(self.sock, self.deadline)
        except (ProtocolError, TimeoutError, OSError) as error:
            self.broken = self.broken or f"{type(error).__name__}: {error}"
            raise

    def _break(self, why: str) -> ProtocolError:
        self.broken = why
        return ProtocolError(f"channel protocol violated: {why}")

    def _serve_one(self, header: dict, buffers: list) -> None:
        op, req_id = header.get("op"), header.get("id")
        if type(op) is not str or type(req_id) is not int:
            raise self._break("malformed request")
        try:
            args = self.codec.decode(header.get("a"), buffers)
            result = self.handler(op, args)
            data, out_buffers = self.codec.encode(result)
            frame = check_frame({"re": req_id, "ok": data}, out_buffers)  # too large: error reply
        except (ChannelClosed, TimeoutError):
            raise
        except KeyboardInterrupt:  # the worker interrupts a student kernel that overran
            raise
        except BaseException as error:  # SystemExit from student code must not end us
            write_frame(self.sock, {"re": req_id, "err": error_payload(error)})
            return
        send_checked(self.sock, *frame)
