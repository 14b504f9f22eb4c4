"""Microseconds per SGD step: coursepkg.dp vs hand-written numpy vs TensorFlow eager.

One step = draw a batch of 128 iris rows, forward, backward, update all parameters.
The network is the vanishing-gradient one of the deep.TEACHING notebook: 4 inputs,
10 sigmoid hidden layers of width 10, a sigmoid output, summed binary cross-entropy, SGD (alpha 0.001).
All three use float64 and the same initial weights and batches; at the end the script
checks that all three trained exactly the same weights.

    python benchmarks/dp_step.py [--steps 5] [--repeats 200] [--no-tf]

After a warm-up, each repetition runs a few ``steps`` of every variant in turn, so a
busy machine slows all of them alike, and measures the CPU time of this process per step
(wall-clock time would count the time other jobs on a shared machine get). The table
shows the median and the 10th percentile over the repetitions, and the median of the
per-repetition ratios dp / numpy. Target: dp within 1.5x of numpy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from coursepkg import dp
from coursepkg.data import load_iris_binary

N_HIDDEN_LAYERS, N_HIDDEN_NEURONS, BATCH_SIZE, LR = 10, 10, 128, 0.001


def layer_sizes(n_features):
    return [n_features] + [N_HIDDEN_NEURONS] * N_HIDDEN_LAYERS + [1]


# ----------------------------------------------------------------- coursepkg.dp
class DeepSigmoidNet(dp.Model):
    def __init__(self, n_features, seed=0):
        super().__init__(seed=seed)
        sizes = layer_sizes(n_features)
        self.layers = [self.Linear_Layer(n_in, n_out, f"h{k}")
                       for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]))]

    def forward(self, x):
        for layer in self.layers:
            x = layer(x).sigmoid()
        return x

    def loss(self, x, y):
        y_hat = self.forward(x)
        return -(y * y_hat.log() + (1 - y) * (1 - y_hat).log()).sum()


def make_dp_step(X, y, seed):
    net = DeepSigmoidNet(X.shape[1])
    # dp.SGD draws its batches like Batches(seed): rng.integers(0, n, size=batch_size)
    optimizer = dp.SGD(net, X, y, {"alpha": LR}, BATCH_SIZE, seed=seed)

    def run(steps):
        optimizer.train(steps, print_each=0)

    run.params = lambda: list(net.get_param().values())  # h0_W, h0_b, h1_W, ...
    return run


# ----------------------------------------------------------------- hand-written numpy
def make_numpy_step(X, y, seed):
    batches = Batches(len(X), seed)
    params = DeepSigmoidNet(X.shape[1]).get_param()  # the same initial weights
    Ws = [params[f"h{k}_W"] for k in range(N_HIDDEN_LAYERS + 1)]
    bs = [params[f"h{k}_b"] for k in range(N_HIDDEN_LAYERS + 1)]

    def step():
        indices = next(batches)
        x, t = X[indices], y[indices].reshape(-1, 1)
        activations = [x]
        for W, b in zip(Ws, bs):
            activations.append(1.0 / (1.0 + np.exp(-(activations[-1] @ W + b))))
        y_hat = activations[-1]
        loss = -np.sum(t * np.log(y_hat) + (1 - t) * np.log(1 - y_hat))
        delta = y_hat - t  # dL/dz of the output layer (sigmoid + cross-entropy)
        for k in range(len(Ws) - 1, -1, -1):
            a = activations[k]
            dW, db = a.T @ delta, delta.sum(axis=0, keepdims=True)
            if k > 0:
                delta = (delta @ Ws[k].T) * a * (1 - a)
            Ws[k] -= LR * dW
            bs[k] -= LR * db
        return loss

    def run(steps):
        for _ in range(steps):
            step()

    run.params = lambda: [p for pair in zip(Ws, bs) for p in pair]
    return run


# ----------------------------------------------------------------- TensorFlow eager
def make_tf_step(X, y, seed):
    batches = Batches(len(X), seed)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    # one thread, like numpy and dp here (TF's thread pools would add CPU time of their own)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.threading.set_intra_op_parallelism_threads(1)

    params = DeepSigmoidNet(X.shape[1]).get_param()
    Ws = [tf.Variable(params[f"h{k}_W"]) for k in range(N_HIDDEN_LAYERS + 1)]
    bs = [tf.Variable(params[f"h{k}_b"]) for k in range(N_HIDDEN_LAYERS + 1)]
    variables = [v for pair in zip(Ws, bs) for v in pair]

    def step():
        indices = next(batches)
        x, t = tf.constant(X[indices]), tf.constant(y[indices].reshape(-1, 1))
        with tf.GradientTape() as tape:
            a = x
            for W, b in zip(Ws, bs):
                a = tf.sigmoid(a @ W + b)
            loss = -tf.reduce_sum(t * tf.math.log(a) + (1 - t) * tf.math.log(1 - a))
        for v, g in zip(variables, tape.gradient(loss, variables)):
            v.assign_sub(LR * g)
        return loss

    def run(steps):
        for _ in range(steps):
            step()

    run.params = lambda: [v.numpy() for v in variables]
    return run


class Batches:
    """The stream of batch indices that dp.SGD(..., seed=seed) draws too."""

    def __init__(self, n, seed):
        self.n, self.rng = n, np.random.default_rng(seed)

    def __next__(self):
        return self.rng.integers(0, self.n, size=BATCH_SIZE)


def time_per_step(runs: dict, steps: int, repeats: int) -> dict:
    """name -> list of CPU microseconds per step, one per repetition.

    The variants take turns, in a rotating order (a variant running right after
    TensorFlow finds the CPU caches cold; rotating spreads that over all of them).
    """
    for run in runs.values():
        run(max(steps // 4, 10))  # warm-up
    names = list(runs)
    cpu = {name: [] for name in runs}
    for repeat in range(repeats):
        for name in names[repeat % len(names):] + names[: repeat % len(names)]:
            start = time.process_time()
            runs[name](steps)
            cpu[name].append((time.process_time() - start) / steps * 1e6)
        if (repeat + 1) % max(repeats // 4, 1) == 0:
            line = ", ".join(f"{name} {cpu[name][-1]:.0f}" for name in runs)
            print(f"  repetition {repeat + 1}/{repeats} (CPU us/step): {line}", flush=True)
    return cpu


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5, help="steps per repetition (default 5)")
    parser.add_argument("--repeats", type=int, default=200, help="timed repetitions (default 200)")
    parser.add_argument("--no-tf", action="store_true", help="skip TensorFlow (faster)")
    args = parser.parse_args(argv)

    X, y = load_iris_binary()  # standardised iris classes 0 and 1, y as (100,) labels
    y = y.astype(np.float64)
    variants = {"coursepkg.dp": make_dp_step, "numpy (by hand)": make_numpy_step}
    if not args.no_tf:
        variants["TensorFlow eager"] = make_tf_step
    print(
        f"SGD step on iris: batch {BATCH_SIZE}, {N_HIDDEN_LAYERS} sigmoid layers of width "
        f"{N_HIDDEN_NEURONS}, "
        f"{args.steps} steps x {args.repeats} repetitions, float64"
    )
    runs = {name: make(X, y, seed=0) for name, make in variants.items()}
    results = time_per_step(runs, args.steps, args.repeats)
    # same weights, batches and learning rate: all variants must have trained the same net
    reference = runs["numpy (by hand)"].params()
    for name, run in runs.items():
        difference = max(np.abs(a - b).max() for a, b in zip(run.params(), reference))
        print(f"  {name}: max |weight - numpy's weight| after all steps = {difference:.1e}")
        assert difference < 1e-8, f"{name} trained a different network than numpy"
    print(f"\n{'CPU us per step':<20}{'median':>10}{'10th pct':>10}")
    for name, times in results.items():
        print(f"{name:<20}{statistics.median(times):>10.1f}{np.percentile(times, 10):>10.1f}")
    # the two variants of one repetition ran back to back: their ratio is the least noisy figure
    ratios = np.array(results["coursepkg.dp"]) / np.array(results["numpy (by hand)"])
    print(
        f"\ndp / numpy = {np.median(ratios):.2f}x (median of the per-repetition ratios; "
        f"quartiles {np.percentile(ratios, 25):.2f}-{np.percentile(ratios, 75):.2f}); target <= 1.5x"
    )
    return results


if __name__ == "__main__":
    main()
