"""coursepkg.gated: parameter matching, the gated block's arithmetic against numpy, and
one short training run."""
import types

import numpy as np
import pytest

from coursepkg import gated


def test_hidden_width_matches_parameters():
    assert gated.hidden_width("ReLU", 256) == 256 and gated.hidden_width("SwiGLU", 256) == 171
    with pytest.raises(ValueError, match="accepted"):
        gated.hidden_width("ReLU6", 256)


@pytest.mark.parametrize("variant", ["SwiGLU", "GLU", "ReLU²"])
def test_feed_forward_computes_the_formula(variant):
    import keras

    ffn = gated.FeedForward(variant, 8, 6, seed=3)
    x = np.random.default_rng(0).standard_normal((5, 8)).astype("float32")
    out = keras.ops.convert_to_numpy(ffn(x))
    W1 = ffn.w_in.kernel.numpy()
    W2 = ffn.w_out.kernel.numpy()
    act = {"SwiGLU": lambda z: z / (1 + np.exp(-z)), "GLU": lambda z: 1 / (1 + np.exp(-z)),
           "ReLU²": lambda z: np.maximum(z, 0) ** 2}[variant]
    hidden = act(x @ W1)
    if variant in gated.GATED:
        hidden = hidden * (x @ ffn.w_gate.kernel.numpy())
    assert np.allclose(out, hidden @ W2, atol=1e-5)


def test_models_are_parameter_matched():
    counts = {}
    for v in gated.VARIANTS:
        model = gated.build_model(v, n_features=20)
        counts[v] = sum(int(np.prod(w.shape)) for layer in model.layers
                        if isinstance(layer, gated.FeedForward) for w in layer.weights)
    assert max(counts.values()) / min(counts.values()) < 1.01


@pytest.mark.slow
def test_train_variant_learns_and_counts_zeros():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((600, 20)).astype("float32")
    y = (X[:, 0] > 0).astype(int) + 2 * (X[:, 1] > 0).astype(int)
    data = types.SimpleNamespace(X_train=X[:500], y_train=y[:500], X_test=X[500:], y_test=y[500:])
    relu = gated.train_variant("ReLU", data, n_epochs=10, lr=0.01, d_model=16, d_ff=32,
                                n_classes=4)
    swiglu = gated.train_variant("SwiGLU", data, n_epochs=10, lr=0.01, d_model=16, d_ff=32,
                                n_classes=4)
    assert relu.test_accuracy > 0.7 and swiglu.test_accuracy > 0.7
    assert relu.zero_share > 0.2 and swiglu.zero_share == 0.0
    # the per-epoch training curves: ten epochs, the loss falling, the last epoch's accuracy high
    assert [len(relu.history[k]) for k in ("loss", "accuracy")] == [10, 10]
    assert swiglu.history["loss"][-1] < swiglu.history["loss"][0] and relu.history["accuracy"][-1] > 0.7
