"""The narrow channel between the trusted test runner and the student's kernel.

    protocol  frames (JSON header + raw buffers) and the value codec, with its limits
    endpoint  re-entrant request/reply over one Unix-socket connection
    proxy     trusted side: RemoteObject (a student object), RemoteError, expose()
    agent     student side: runs inside the student kernel, serves the notebook's globals

Threat model. The student side is hostile: any byte it sends may be chosen by an
attacker who also controls every Python object in the student kernel (this package's
agent included). The trusted side must compute the verdict anyway, so what it accepts
is kept to data that cannot run code when decoded:

- JSON (``json.loads`` builds only dicts, lists, str, int, float, bool, None) with a
  few one-key tags, and raw buffers that become numpy arrays only for an allowlisted
  numeric dtype whose byte count matches shape x itemsize (``frombuffer`` + ``copy``:
  the array owns its memory). No pickle, no ``dtype=object``, no class names resolved
  from the wire, nothing imported because the peer said so.
- Sizes are bounded before allocation (header, buffer count and bytes, nesting depth,
  item count, string and int size); a reply must answer the innermost pending request.
- Everything else the student has is a *handle*: an integer the trusted side can only
  hand back (call, getattr, ... are requests the student side answers with data again).
  Dunder names are refused on proxies so numpy never trusts an ``__array_interface__``
  pointer chosen by student code.
- The other direction is narrower: the student side gets handles only for objects the
  tests pass as ``expose(obj, "m1", ...)``, and may only ask to call those methods
  (``call_method``); no attribute reads, so no ``__globals__``, ``__class__`` or frames.
  Trusted exceptions reach student code as type name + message only.

Why not a library. ``pickle`` (and ``multiprocessing.connection``, which pickles) runs
arbitrary code on load: the Python docs warn never to unpickle untrusted data. RPyC's
design is transparent object proxying in both directions; its attribute-access policy
is the security boundary and has failed (CVE-2019-16328: RPyC 4.1.0/4.1.1 let a client
call arbitrary attributes of the server's objects, remote code execution; a Metasploit
module exists), and its "classic" mode is full remote control by intent. Pyro5 uses a
safe serializer (serpent) but brings a daemon, threads and a name-server world we do not
need, and its proxies also expose every @expose'd attribute of a class. What we need is
~400 lines with one rule each way, small enough to audit and test with hostile payloads
(tests/autograder/test_channel.py).
"""
