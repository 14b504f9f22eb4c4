"""Write the data the book's chapters plot: ``coursepkg/bookdata/<name>.npz`` (instructors only).

The chapters must run in the student edition, which ships neither ``courseref`` nor the
exercises' answers. Results that need an answer are therefore computed here, once, with
the reference code, and shipped as package data; the chapters load them with
``coursepkg.bookdata.load(name)``. Run from the repository root:

    .venv/bin/python tools/book_data.py            # write all three files
    .venv/bin/python tools/book_data.py --check    # compare the committed files with a fresh run

Everything is deterministic (fixed seeds, the offline MNIST subset), so ``--check`` (and
``tests/coursepkg/test_bookdata.py``) can tell a stale file from a fresh one.

Keys (every value a numpy array; text as a 0-d str array):

activation_zoo
    x                        (601,) grid on [-6, 6]
    f/<fn>, df/<fn>          (601,) for fn in ZOO (leaky_relu alpha=0.01, elu alpha=1, swish beta=1)
    alpha                    (11,) 0.0..0.5 step 0.05
    f/leaky_relu@alpha, df/leaky_relu@alpha, f/elu@alpha, df/elu@alpha    (11, 601)
    beta                     (16,) 0.25..4.0 step 0.25
    f/swish@beta, df/swish@beta                                           (16, 601)
    logits                   (5,) the scores [2, 1, 0.5, 0, -1]
    T                        (16,) temperatures 0.25..4.0 step 0.25
    softmax@T                (16, 5) softmax(logits / T)
vanishing_gradient  (10 hidden layers of 10 units on binary iris; 300 SGD steps, lr 0.01, batches of 32)
    grad_w/<act>/<n>         (n + 1, n_steps) mean |dL/dW| per layer (last row: output layer) and step
    loss/<act>/<n>           (n_steps,) the loss of each step's mini-batch, summed over its flowers
    accuracy/<act>/<n>       () share of the 100 flowers classified correctly after training
    n_steps, lr, batch_size, n_hidden_neurons   () the settings
grokking_mnist  (Grokking's one-hidden-layer network, dropout 0.5, batches of 100)
    dataset                  () str, the MNIST images the runs used
    n_train, n_test          () image counts
    sample_images, sample_labels   (16, 28, 28) uint8 and (16,): the first training images
    mean_images              (10, 784) the average training image of each digit, pixels in [0, 1]
    train_acc/<v>, test_acc/<v>, train_loss/<v>   (n_epochs,) for v in tanh, relu, sigmoid
    seconds/<v>              () training time on the machine that wrote the file
    lr/<v>                   () the learning rate of the run
    W_out/sigmoid, W_out/softmax   (784, 10) weights of a network without hidden layer
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "coursepkg" / "bookdata"
ZOO = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "swish", "gelu", "softplus")
VG_ACT_FUNCS = ("sigmoid", "tanh", "relu")
VG_SETTINGS = dict(n_hidden_neurons=10, n_steps=300, lr=0.01, batch_size=32)
VG_DEPTHS = (10,)
MNIST_SIZES = dict(n_train=1000, n_test=4000)


def _grid(start: float, stop: float, step: float) -> np.ndarray:
    """start, start + step, ..., stop (inclusive), rounded to kill float drift."""
    return np.round(np.arange(round((stop - start) / step) + 1) * step + start, 10)


def activation_zoo() -> dict[str, np.ndarray]:
    """Functions, derivatives and slider families of the zoo (see the module docstring)."""
    from courseref import activations as A

    x = np.linspace(-6.0, 6.0, 601)
    out: dict[str, np.ndarray] = {"x": x}
    for fn in ZOO:
        out[f"f/{fn}"] = np.asarray(getattr(A, fn)(x))
        out[f"df/{fn}"] = np.asarray(getattr(A, f"d_{fn}")(x))
    alpha, beta = _grid(0.0, 0.5, 0.05), _grid(0.25, 4.0, 0.25)
    out["alpha"], out["beta"] = alpha, beta
    for fn in ("leaky_relu", "elu"):
        out[f"f/{fn}@alpha"] = np.stack([getattr(A, fn)(x, alpha=a) for a in alpha])
        out[f"df/{fn}@alpha"] = np.stack([getattr(A, f"d_{fn}")(x, alpha=a) for a in alpha])
    out["f/swish@beta"] = np.stack([A.swish(x, beta=b) for b in beta])
    out["df/swish@beta"] = np.stack([A.d_swish(x, beta=b) for b in beta])
    out["logits"] = np.array([2.0, 1.0, 0.5, 0.0, -1.0])
    out["T"] = _grid(0.25, 4.0, 0.25)
    out["softmax@T"] = np.stack([A.softmax(out["logits"] / t) for t in out["T"]])
    return out


def vanishing_gradient() -> dict[str, np.ndarray]:
    """The vanishing-gradient chapter's runs: one per activation and depth, seed 0."""
    from courseref import vanishing

    out: dict[str, np.ndarray] = {k: np.asarray(v) for k, v in VG_SETTINGS.items()}
    for n in VG_DEPTHS:
        for act in VG_ACT_FUNCS:
            res = vanishing.run(act, n_hidden_layers=n, seed=0, **VG_SETTINGS)
            out[f"grad_w/{act}/{n}"] = res.grad_w
            out[f"loss/{act}/{n}"] = res.loss
            out[f"accuracy/{act}/{n}"] = np.asarray(res.accuracy)
    return out


def grokking_mnist() -> dict[str, np.ndarray]:
    """The Grokking chapter's runs on the offline MNIST subset (the same on every machine)."""
    from coursepkg import data
    from courseref import grokking

    with contextlib.redirect_stdout(io.StringIO()):
        mnist = data.load_mnist(seed=0, source="subset", **MNIST_SIZES)
    X_train, X_test = data.flatten_and_scale(mnist.X_train), data.flatten_and_scale(mnist.X_test)
    y_train, y_test = mnist.y_train, mnist.y_test
    out: dict[str, np.ndarray] = {
        "dataset": np.asarray(mnist.name), "n_train": np.asarray(len(y_train)),
        "n_test": np.asarray(len(y_test)),
        "sample_images": np.asarray(mnist.X_train[:16]), "sample_labels": np.asarray(y_train[:16]),
        "mean_images": np.stack([X_train[y_train == k].mean(axis=0) for k in range(10)]),
    }
    runs = {
        "tanh": grokking.train_tanh_dropout(X_train, y_train, X_test, y_test, n_epochs=300, seed=0),
        "relu": grokking.train_relu_dropout(X_train, y_train, X_test, y_test, n_epochs=100, seed=0),
        "sigmoid": grokking.train(X_train, y_train, X_test, y_test, act_func="sigmoid", lr=0.02,
                                  n_epochs=300, init_scale=(0.01, 0.1), seed=0),
    }
    for v, run in runs.items():
        for key in ("train_acc", "test_acc", "train_loss"):
            out[f"{key}/{v}"] = getattr(run, key)
        out[f"seconds/{v}"] = np.asarray(run.seconds)
        out[f"lr/{v}"] = np.asarray(run.hyperparam["lr"])
    for output in ("sigmoid", "softmax"):
        out[f"W_out/{output}"] = grokking.train_output_layer(X_train, y_train, output=output, seed=0)
    return out


GENERATORS = {"activation_zoo": activation_zoo, "vanishing_gradient": vanishing_gradient,
              "grokking_mnist": grokking_mnist}
# keys that measure this machine, not the method: never compared by --check
MACHINE_KEYS = ("seconds/",)


def differences(name: str, fresh: dict, stored: dict, rtol: float = 1e-9) -> list[str]:
    """What differs between a fresh generation and the stored arrays of ``name`` (empty: equal)."""
    problems = [f"{name}: key {k!r} missing from the stored file" for k in fresh if k not in stored]
    problems += [f"{name}: stored key {k!r} is no longer generated" for k in stored if k not in fresh]
    for key in sorted(set(fresh) & set(stored)):
        a, b = np.asarray(fresh[key]), np.asarray(stored[key])
        if key.startswith(MACHINE_KEYS):
            continue
        if a.shape != b.shape or a.dtype.kind != b.dtype.kind:
            problems.append(f"{name}: {key!r} is {b.dtype}{b.shape}, a fresh run gives {a.dtype}{a.shape}")
        elif a.dtype.kind in "fc" and not np.allclose(a, b, rtol=rtol, atol=1e-12, equal_nan=True):
            problems.append(f"{name}: {key!r} differs from a fresh run (max gap {np.max(np.abs(a - b)):.3g})")
        elif a.dtype.kind not in "fc" and not np.array_equal(a, b):
            problems.append(f"{name}: {key!r} differs from a fresh run")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check compare) the book data files; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"which files (default: all of {', '.join(GENERATORS)})")
    parser.add_argument("--check", action="store_true",
                        help="compare the committed files with a fresh generation, write nothing")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in GENERATORS]
    if unknown:
        parser.error(f"unknown name(s) {', '.join(unknown)}; accepted: {', '.join(GENERATORS)}")
    sys.path.insert(0, str(ROOT))
    from coursepkg import bookdata

    problems = []
    for name in args.names or list(GENERATORS):
        fresh = GENERATORS[name]()
        if args.check:
            stored = bookdata.load(name) if name in bookdata.names() else {}
            found = differences(name, fresh, stored)
            problems += found
            print(f"{name}: {'stale' if found else 'up to date'}")
        else:
            np.savez_compressed(OUT / f"{name}.npz", **fresh)
            print(f"wrote {OUT / f'{name}.npz'} ({len(fresh)} arrays)")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
