"""Shared fixtures for the coursepkg tests: isolated data caches and a local HTTP server."""

import functools
import http.server
import socket
import threading

import pytest


@pytest.fixture
def data_caches(tmp_path, monkeypatch):
    """Point coursepkg's and Keras' caches at empty temporary folders.

    Returns (coursepkg cache dir, Keras home). No test touches the user's ~/.cache or ~/.keras.
    """
    own, keras_home = tmp_path / "coursepkg-cache", tmp_path / "keras-home"
    monkeypatch.setenv("COURSEPKG_CACHE_DIR", str(own))
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    monkeypatch.delenv("COURSEPKG_DATA_MIRROR", raising=False)
    return own, keras_home


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    requests_seen = None  # set per server: list of (method, path)

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_HEAD(self):
        self.requests_seen.append(("HEAD", self.path))
        super().do_HEAD()

    def do_GET(self):
        self.requests_seen.append(("GET", self.path))
        super().do_GET()


class LocalServer:
    """A real HTTP server on 127.0.0.1 serving the files of ``root``, in a thread."""

    def __init__(self, root):
        self.root = root
        self.requests = []
        handler = type("Handler", (_QuietHandler,), {"requests_seen": self.requests})
        self._httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join()

    def gets(self):
        return [path for method, path in self.requests if method == "GET"]


@pytest.fixture
def local_server(tmp_path):
    """A LocalServer on an empty folder ``tmp_path / "www"``; the test writes the files."""
    root = tmp_path / "www"
    root.mkdir()
    server = LocalServer(root)
    yield server
    server.stop()


@pytest.fixture
def dead_url():
    """A URL on 127.0.0.1 where nothing listens: connections are refused at once (offline)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def silent_url():
    """A URL whose server accepts connections but never answers (a hanging network)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    yield f"http://127.0.0.1:{s.getsockname()[1]}/"
    s.close()
