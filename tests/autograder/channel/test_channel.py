"""The channel between the trusted runner and the student kernel: codec limits, hostile
payloads, proxies and exposure, on a real socket pair with the real agent in a thread."""
import json
import socket
import struct
import threading
import time

import numpy as np
import pytest

from autograder.channel import agent, protocol
from autograder.channel.protocol import Codec, ProtocolError, read_frame, write_frame
from autograder.channel.proxy import ChannelError, RemoteError, RemoteObject, TrustedChannel
from coursepkg.dp import Node


class Connected:
    """A TrustedChannel attached to the real agent serving `namespace` in a thread."""

    def __init__(self, namespace: dict, deadline_seconds: float = 10):
        self.namespace = namespace
        self.trusted_sock, student_sock = socket.socketpair()
        self.errors = []
        self.thread = threading.Thread(target=self._serve, args=(student_sock,), daemon=True)
        self.thread.start()
        self.channel = TrustedChannel()
        self.channel.attach(self.trusted_sock, time.monotonic() + deadline_seconds)

    def _serve(self, sock):
        try:
            agent.serve_socket(sock, self.namespace)
        except Exception as error:  # the test may break the protocol on purpose
            self.errors.append(error)

    def get(self, name):
        return self.channel.request("global", name)

    def close(self):
        self.channel.detach()
        self.thread.join(1)


@pytest.fixture
def student():
    connections = []

    def connect(namespace, **kw):
        connections.append(Connected(namespace, **kw))
        return connections[-1]
    yield connect
    for c in connections:
        c.close()


def _plain_codec():
    def refuse(value):
        raise TypeError("not plain")
    return Codec(export=refuse, remote_id=lambda v: None, make_remote=lambda h, m: ("H", h),
                 lookup=lambda h: (_ for _ in ()).throw(ProtocolError(f"unknown {h}")))


def _roundtrip(value):
    codec = _plain_codec()
    data, buffers = codec.encode(value)
    data = json.loads(json.dumps(data))
    return codec.decode(data, [bytearray(memoryview(b).cast("B")) for b in buffers])


def test_plain_values_and_numeric_arrays_round_trip_exactly():
    value = {"a": [1, 2.5, None, True, "x"], 3: (np.arange(6, dtype=np.int32).reshape(2, 3),),
             "f": np.float32(1.5), "z": np.zeros((0, 4)), "c": np.array([1 + 2j])}
    back = _roundtrip(value)
    assert back["a"] == [1, 2.5, None, True, "x"] and type(back[3]) is tuple
    assert back[3][0].dtype == np.int32 and back[3][0].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert type(back["f"]) is float and back["f"] == 1.5
    assert back["z"].shape == (0, 4) and back["c"][0] == 1 + 2j
    node = _roundtrip([Node(np.ones((2, 2)))])[0]
    assert isinstance(node, Node) and node.value.tolist() == [[1, 1], [1, 1]]


def test_zero_dimensional_arrays_stay_zero_dimensional():
    back = _roundtrip([np.array(2.5), np.array(3, dtype=np.int8)])
    assert [b.shape for b in back] == [(), ()] and back[0] == 2.5 and back[1].dtype == np.int8


def test_big_endian_and_non_contiguous_arrays_arrive_as_their_values():
    a = np.arange(12, dtype=">f8").reshape(3, 4)[:, ::2]
    assert np.array_equal(_roundtrip(a), a)


@pytest.mark.parametrize("value", [np.array([object()], dtype=object),
                                   np.array([("a", 1)], dtype=[("n", "U1"), ("v", "i4")]),
                                   np.array(["text"])])
def test_arrays_that_are_not_numeric_are_refused_on_encode(value):
    with pytest.raises(TypeError, match="cannot cross the channel"):
        _plain_codec().encode(value)


@pytest.mark.parametrize("header, buffers, match", [
    ({"$a": 0, "dt": "|O", "sh": [1]}, [bytearray(8)], "dtype"),
    ({"$a": 0, "dt": "[('a', '|O')]", "sh": [1]}, [bytearray(8)], "dtype"),
    ({"$a": 0, "dt": "<f8", "sh": [2]}, [bytearray(8)], "needs 16 bytes"),
    ({"$a": 0, "dt": "<f8", "sh": [-1]}, [bytearray(8)], "shape"),
    ({"$a": 5, "dt": "<f8", "sh": [1]}, [bytearray(8)], "index"),
    ({"$pickle": "gASVAAAAAAAAAAA="}, [], "unknown tag"),
    ({"$r": 999}, [], "unknown 999"),
    ({"$l": [1], "extra": 2}, [], "malformed"),
])
def test_hostile_values_are_refused_on_decode(header, buffers, match):
    with pytest.raises(ProtocolError, match=match):
        _plain_codec().decode(header, buffers)


def test_deep_nesting_is_refused_both_ways():
    deep = []
    for _ in range(protocol.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(ProtocolError, match="deep"):
        _plain_codec().encode(deep)
    data = 1
    for _ in range(protocol.MAX_DEPTH + 5):
        data = {"$l": [data]}
    with pytest.raises(ProtocolError, match="deeper"):
        _plain_codec().decode(data, [])


def test_huge_frames_are_refused_before_reading_their_body():
    a, b = socket.socketpair()
    a.sendall(struct.pack("<II", 2**31, 0))
    with pytest.raises(ProtocolError, match="header of"):
        read_frame(b, time.monotonic() + 5)
    a.sendall(struct.pack("<II", 2, 1) + struct.pack("<Q", 2**40))
    with pytest.raises(ProtocolError, match="bytes of buffers"):
        read_frame(b, time.monotonic() + 5)
    a.sendall(struct.pack("<II", 5, 0) + b"[1,2]")
    with pytest.raises(ProtocolError, match="not a JSON object"):
        read_frame(b, time.monotonic() + 5)


def test_student_functions_values_and_objects_through_proxies(student):
    class Box:
        def __init__(self):
            self.items = [1, 2, 3]

        def __len__(self):
            return 3

        def __getitem__(self, i):
            return self.items[i]

        def __setitem__(self, i, v):
            self.items[i] = v

        def __iter__(self):
            return iter(self.items)

        def __repr__(self):
            return "Box" + "!" * 10_000

    ns = {"square": lambda x: x * x, "w": np.eye(2), "box": Box()}
    c = student(ns)
    assert c.get("square")(np.float64(3.0)) == 9.0
    assert np.array_equal(c.get("w"), np.eye(2))
    box = c.get("box")
    assert isinstance(box, RemoteObject)
    assert len(box) == 3 and box[1] == 2 and list(box) == [1, 2, 3] and 2 in box and bool(box)
    box[0] = 10
    box.extra = "set"
    assert ns["box"].items[0] == 10 and ns["box"].extra == "set" and box.items == [10, 2, 3]
    assert repr(box).startswith("Box!") and len(repr(box)) <= 2000
    assert c.channel.resolved == ["square", "w", "box"]


def test_student_exceptions_arrive_as_remote_errors_of_the_matching_builtin(student):
    def raises(kind):
        if kind == "value":
            raise ValueError("bad value " + "x" * 5000)
        if kind == "exit":
            raise SystemExit(0)
        raise type("Custom", (Exception,), {})("custom")

    c = student({"raises": raises})
    with pytest.raises(ValueError) as info:
        c.get("raises")("value")
    assert isinstance(info.value, RemoteError) and len(str(info.value)) <= 500
    with pytest.raises(RemoteError) as info:  # never a SystemExit in the trusted process
        c.get("raises")("exit")
    assert not isinstance(info.value, SystemExit) and "SystemExit" in str(info.value)
    with pytest.raises(RemoteError, match="Custom: custom"):
        c.get("raises")("custom")
    with pytest.raises(NameError, match="not defined in your notebook"):
        c.get("nope")


def test_reentrant_calls_student_code_calls_back_into_exposed_test_objects(student):
    class Net:
        def __init__(self):
            self.handed_out = []

        def get_grad(self, step):
            grad = np.full((2, 2), float(step))
            self.handed_out.append(grad)
            return grad

        def secret(self):
            return "never"

    def train(net, steps):
        return [float(net.get_grad(i).sum()) for i in range(steps)]

    c = student({"train": train})
    net = Net()
    assert c.get("train")(c.channel.expose(net, ("get_grad",)), 5) == [0, 4, 8, 12, 16]
    assert len(net.handed_out) == 5


@pytest.mark.parametrize("attack", [
    "net.secret()", "net.__class__", "net.get_grad.__globals__", "net.get_grad.__self__",
    "net.get_grad.__closure__", "net._exposed", "net.__reduce_ex__(2)",
])
def test_student_code_reaches_only_the_exposed_methods(student, attack):
    class Net:
        def get_grad(self):
            return 1.0

        def secret(self):
            return "SECRET"

    trusted = Net()

    def leaks(found, depth=0):
        """Does `found` (what student code got) hold the tests' object, class or data?"""
        if found is trusted or found is Net or found == "SECRET" or depth > 3:
            return depth <= 3
        if getattr(found, "__self__", None) is trusted:
            return True
        items = found.values() if isinstance(found, dict) else \
            found if isinstance(found, (list, tuple)) else []
        return any(leaks(x, depth + 1) for x in items)

    def probe(net):
        try:
            found = eval(attack, {"net": net})
        except Exception as error:
            return f"blocked {type(error).__name__}"
        return "LEAK" if leaks(found) else "harmless"

    c = student({"probe": probe})
    assert c.get("probe")(c.channel.expose(trusted, ("get_grad",))) != "LEAK"
    # control: without the channel the same attack does reach the object
    if attack in ("net.secret()", "net.__class__", "net.get_grad.__self__"):
        assert leaks(eval(attack, {"net": trusted}))


def test_forged_requests_from_the_student_side_are_refused(student):
    def forge(net):
        endpoint = agent._STATE.endpoint
        out = []
        for op, args in [("call_method", [net, "secret", [], {}]),
                         ("call_method", [net, "__reduce__", [], {}]),
                         ("getattr", [net, "__class__"]),
                         ("global", "__builtins__")]:
            try:
                out.append(repr(endpoint.request(op, args)))
            except Exception as error:
                out.append(f"{type(error).__name__}: {error}")
        # a handle id that was never issued
        endpoint._send({"op": "call_method", "id": 999}, None)
        raw = json.dumps({"op": "call_method", "id": 1000,
                          "a": {"$l": [{"$r": 424242}, "get_grad", {"$l": []}, {"$d": []}]}})
        write_frame(endpoint.sock, json.loads(raw))
        for _ in range(2):
            header, _ = read_frame(endpoint.sock, time.monotonic() + 5)
            out.append(header.get("err", {}).get("type", "OK?"))
        return out

    class Net:
        def get_grad(self):
            return 1.0

        def secret(self):
            return "SECRET"

    c = student({"forge": forge})
    answers = c.get("forge")(c.channel.expose(Net(), ("get_grad",)))
    assert all(a.startswith("TrustedError") and ("not exposed" in a or "not allowed" in a)
               for a in answers[:4]), answers
    assert answers[4:] == ["PermissionError", "ProtocolError"]


def test_tests_cannot_send_unexposed_objects_and_proxies_refuse_dunders(student):
    class Evil:
        __array_interface__ = {"shape": (1,), "typestr": "<f8", "data": (8, False), "version": 3}

    c = student({"f": lambda x: x, "evil": Evil()})
    with pytest.raises(TypeError, match="expose"):
        c.get("f")(object())
    evil = c.get("evil")
    with pytest.raises(AttributeError):
        evil.__array_interface__  # noqa: B018 (the attribute read itself must fail)
    assert np.asarray(evil).dtype == object  # numpy saw an opaque object, no pointer
    assert c.get("f").__name__ == "<lambda>" and evil.__module__ == __name__  # plain strings


def test_a_call_that_overruns_the_deadline_fails_in_time(student):
    c = student({"slow": lambda: time.sleep(120)}, deadline_seconds=0.5)
    started = time.monotonic()
    with pytest.raises((TimeoutError, RemoteError)):
        c.get("slow")()
    assert time.monotonic() - started < 60  # long before the call would return
    assert c.channel.endpoint.broken


def test_an_exposed_function_can_only_be_called(student):
    calls = []

    def recorder(x):
        calls.append(x)
        return x + 1

    def use(f):
        out = [f(1), f(x=2)]
        for attack in (lambda: f.__globals__, lambda: f.__code__, lambda: f.__closure__):
            try:
                attack()
                out.append("LEAK")
            except AttributeError:
                out.append("blocked")
        return out

    c = student({"use": use})
    assert c.get("use")(c.channel.expose(recorder, ("__call__",))) == [2, 3] + ["blocked"] * 3
    assert calls == [1, 2]


# --- issue 19: nothing the student's side sends passes for the student's own error -------
def _poison_replies(monkeypatch, sh):
    """The agent (student side, same process here) sends every array with shape `sh`
    and an empty buffer: it passes the size check when `sh` holds a 0."""
    def enc_array(a, buffers):
        buffers.append(b"")
        return {"$a": len(buffers) - 1, "dt": "<f8", "sh": sh}
    monkeypatch.setattr(protocol.Codec, "_enc_array", staticmethod(enc_array))


def test_an_undecodable_reply_is_a_channel_error_never_a_value_error(student, monkeypatch):
    """A header that makes numpy raise ValueError while decoding used to reach the test as
    the student's function raising ValueError (issue 19)."""
    from autograder.channel.proxy import ChannelError
    c = student({"f": lambda: np.zeros(3)})
    f = c.get("f")
    _poison_replies(monkeypatch, [2**40, 2**40, 0])
    with pytest.raises(ChannelError) as info:
        try:
            f()
        except Exception as error:  # a test's `except ValueError/Exception` never sees it
            pytest.fail(f"the decoding failure reached the test as {type(error).__name__}")
    assert "broke the tests' channel" in str(info.value) and "2**40" not in str(info.value)
    shown, detail = c.channel.detach()
    assert "channel" in shown and "reshape" in detail   # the detail: the instructor's record


def test_decoded_arrays_take_over_the_received_bytes_without_copies():
    big = np.arange(4_000_000, dtype=np.float64)          # 32 MB
    codec = _plain_codec()
    data, buffers = codec.encode([big])
    received = [bytearray(memoryview(b).cast("B")) for b in buffers]
    import tracemalloc
    tracemalloc.start()
    back = codec.decode(json.loads(json.dumps(data)), received)[0]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert np.array_equal(back, big) and back.flags.writeable
    assert peak < 1_000_000, f"decoding allocated {peak} bytes for a 32 MB array"
    with pytest.raises(ProtocolError, match="used by another array"):  # one array per buffer
        codec.decode({"$l": [{"$a": 0, "dt": "<f8", "sh": [1]}] * 2}, [bytearray(8)])


def test_a_memory_error_of_student_code_arrives_as_one(student):
    def hungry():
        raise MemoryError("too much")
    c = student({"hungry": hungry})
    with pytest.raises(MemoryError) as info:
        c.get("hungry")()
    assert isinstance(info.value, RemoteError) and "too much" in str(info.value)


def test_an_oversized_reply_of_the_tests_is_an_error_for_the_student_side(student, monkeypatch):
    """The tests' side answering a student call with a frame over the limit used to fail
    outside the endpoint's handling (the test was told the student's side failed)."""
    from autograder.channel.proxy import ChannelError
    monkeypatch.setattr(protocol, "MAX_FRAME", 1000)

    def call_back(obj):
        try:
            obj.big()
        except Exception as error:
            return f"student saw {type(error).__name__}: {error}"
        return "no error"

    class Tests:
        def big(self):
            return np.zeros(1000)
    c = student({"call_back": call_back})
    try:
        answer = c.get("call_back")(c.channel.expose(Tests(), ("big",)))
    except ChannelError:
        pytest.fail("the tests' own oversized reply was blamed on the student's side")
    assert "too large" in answer and c.channel.detach() is None


def test_exposed_objects_have_a_readable_repr():
    from autograder.channel.proxy import Exposed
    text = repr(Exposed(object(), ("forward", "loss")))
    assert "0x" not in text and "forward, loss" in text


def _requests(c):
    return c.channel.endpoint.n_requests


def test_a_method_of_the_students_class_is_looked_up_once_per_test_cell(student):
    class Net:
        def __init__(self):
            self.calls = 0
            self.scale = 2.0

        def forward(self, x):
            self.calls += 1
            return x * self.scale

    ns = {"net": Net()}
    c = student(ns)
    net = c.get("net")
    before = _requests(c)
    for _ in range(10):
        assert net.forward(1.5) == 3.0
    assert _requests(c) - before == 11           # one getattr, then one request per call
    assert net.scale == 2.0 and net.scale == 2.0   # data attributes: read every time
    assert _requests(c) - before == 13
    # the student's code replaces the method on the instance: a setattr from the tests
    # forgets what was cached, and an instance attribute is never cached
    net.forward = None
    ns["net"].forward = lambda x: -x
    assert net.forward(1.5) == -1.5 and net.forward(2.0) == -2.0
    assert _requests(c) - before == 13 + 1 + 4


def test_method_lookups_are_forgotten_between_test_cells():
    class Net:
        def forward(self, x):
            return "old"

    ns, channel = {"net": Net()}, TrustedChannel()

    def in_test_cell(body):  # one connection per test cell, as in grading
        trusted_sock, student_sock = socket.socketpair()
        thread = threading.Thread(target=agent.serve_socket, args=(student_sock, ns), daemon=True)
        thread.start()
        channel.attach(trusted_sock, time.monotonic() + 10)
        try:
            return body()
        finally:
            channel.detach()
            thread.join(2)

    net = in_test_cell(lambda: channel.request("global", "net"))
    assert in_test_cell(lambda: (net.forward(0), net.forward(0))) == ("old", "old")
    Net.forward = lambda self, x: "new"          # a student cell redefines the method
    assert in_test_cell(lambda: net.forward(0)) == "new"


def test_a_forged_method_claim_only_reaches_student_code_again(student, monkeypatch):
    """The agent says which attributes are class methods; a lying agent can only make the
    tests call the student's own object again, never anything of the tests'."""
    monkeypatch.setattr(agent, "_is_class_method", lambda target, name, value: True)
    ns = {"box": {"k": 1}, "f": lambda: 5}
    c = student(ns)
    box = c.get("box")
    get = box.get
    assert get("k") == 1 and box.get("k") == 1    # cached: still the student's dict.get
    assert c.get("f")() == 5


def test_a_malformed_getattr_reply_is_a_channel_error(student, monkeypatch):
    real = agent._handler

    def handler(namespace):
        inner = real(namespace)
        return lambda op, args: "not [value, bool]" if op == "getattr" else inner(op, args)
    monkeypatch.setattr(agent, "_handler", handler)
    c = student({"box": object()})
    with pytest.raises(ChannelError):
        assert c.get("box").anything is None  # never reached: the reply is malformed


def test_a_value_of_more_arrays_than_one_sendmsg_takes_crosses_whole(student):
    history = [np.full(3, float(i)) for i in range(protocol.MAX_BUFFERS - 10)]
    c = student({"history": history, "echo": lambda xs: xs})
    got = c.get("history")
    assert len(got) == len(history) and all(np.array_equal(a, b) for a, b in zip(got, history))
    back = c.get("echo")(got[:1500])
    assert [float(a[0]) for a in back] == [float(i) for i in range(1500)]
