"""coursepkg.stability: random matrix products, float formats and overflow points, and
the deep Keras networks (signal/gradient spread, clipping) checked against TensorFlow."""
import numpy as np
import pytest

from coursepkg import stability as st


def test_product_log_norms_drift_like_L_log_s():
    runs = st.product_log_norms(1.2, n_layers=30, width=64, n_trials=100,
                                rng=np.random.default_rng(0))
    assert runs.shape == (100, 30)
    assert np.median(runs[:, -1]) == pytest.approx(30 * np.log10(1.2), abs=0.3)
    assert np.median(runs[:, 0]) == pytest.approx(np.log10(1.2), abs=0.1)


def test_float_formats_and_first_overflow():
    f = st.float_formats()
    assert f["float16"]["largest"] == 65504.0 and f["bfloat16"]["epsilon"] == 2 ** -7
    assert f["bfloat16"]["largest"] > 3e38
    assert st.first_overflow(np.exp, "float16") == pytest.approx(np.log(65504), abs=0.02)
    assert st.first_overflow(lambda x: x * x, "float16") == pytest.approx(256, abs=0.1)
    assert st.first_overflow(lambda x: x * x, "bfloat16") == float("inf")
    with pytest.raises(ValueError, match="accepted.*float16"):
        st.first_overflow(np.exp, "float8")


def test_first_overflowing_layer():
    assert st.first_overflowing_layer(0.9, 40, 32, 16, np.random.default_rng(0)) == -1
    layer = st.first_overflowing_layer(2.0, 100, 64, 32, np.random.default_rng(0))
    assert 8 <= layer <= 20     # 2**16 = 65536: about 16 doublings from std 1


def test_deep_networks_signal_and_gradient_spread():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(64, 20)).astype("float32")
    y = rng.integers(0, 10, size=64)
    kw = dict(n_hidden_layers=12, n_hidden_neurons=32, n_features=20)
    plain = st.layer_gradients(st.build_deep(**kw), X, y)
    residual = st.layer_gradients(st.build_deep(residual=True, **kw), X, y)
    normed = st.layer_gradients(st.build_deep(norm="layer", **kw), X, y)
    assert plain[0].shape == plain[1].shape == (12,)
    assert plain[0][-1] < plain[0][0] / 10            # Glorot is too small for ReLU
    assert residual[0][-1] > residual[0][0] * 10      # residual branches add variance
    assert 0.2 < normed[0][-1] / normed[0][0] < 5
    with pytest.raises(ValueError, match="norm must be one of"):
        st.build_deep(norm="group")


def test_clipping_limits_the_step_to_lr_times_clipnorm():
    import tensorflow as tf

    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(40, 10)).astype("float32")
    y = rng.integers(0, 10, size=40)
    net = st.build_deep(6, 16, "tanh", n_features=10, weight_scale=6.0)
    before = [w.numpy().copy() for w in net.trainable_variables]
    losses, norms = st.train_deep(net, X, y, n_steps=1, lr=0.5, clipnorm=0.01, batch_size=40)
    step = np.sqrt(sum(np.sum((w.numpy() - b) ** 2) for w, b in zip(net.trainable_variables, before)))
    assert norms[0] > 0.01 and step == pytest.approx(0.5 * 0.01, rel=1e-3)
    # the recorded norm is the true gradient norm at the initial weights
    fresh = st.build_deep(6, 16, "tanh", n_features=10, weight_scale=6.0)
    with tf.GradientTape() as tape:
        loss = tf.keras.losses.sparse_categorical_crossentropy(y, fresh(X, training=True),
                                                               from_logits=True)
        loss = tf.reduce_mean(loss)
    true_norm = float(tf.linalg.global_norm(tape.gradient(loss, fresh.trainable_variables)))
    assert norms[0] == pytest.approx(true_norm, rel=1e-4) and losses[0] == pytest.approx(float(loss), rel=1e-5)
