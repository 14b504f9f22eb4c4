"""coursepkg.deepnets: Keras activation layers, the fan-in MLP, gradient flow, the
weight cache and dead-neuron counting (the UvA tutorial's study, in Keras), the quiet
TensorFlow import, and the chapter's tables and figures drawn by coursepkg.plots."""
import dataclasses
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from coursepkg import deepnets as dn
from coursepkg import plots
from coursepkg.deepnets import _tensorflow
from courseref import activations

REPO = Path(__file__).resolve().parents[2]

SMALL = (32, 16)  # hidden sizes of the quick networks in these tests


@pytest.fixture(scope="module")
def data():
    """The real offline image subset (no network), split as the chapter splits it."""
    return dn.load_study_data(source="subset", verbose=False)


@pytest.fixture(scope="module")
def tiny(data):
    """A slice of the real data, to keep the training tests short."""
    return dataclasses.replace(data, X_train=data.X_train[:768], y_train=data.y_train[:768],
                               X_val=data.X_val[:256], y_val=data.y_val[:256],
                               X_test=data.X_test[:256], y_test=data.y_test[:256])


# ----------------------------------------------------------------- activation layers

# every Keras layer, with non-default parameters where it has any
CASES = [("sigmoid", {}), ("tanh", {}), ("relu", {}), ("leaky_relu", {}), ("leaky_relu", {"alpha": 0.1}),
         ("elu", {}), ("elu", {"alpha": 0.5}), ("swish", {}), ("swish", {"beta": 2.0}),
         ("gelu", {}), ("gelu_tanh", {}), ("silu", {})]


@pytest.mark.parametrize("name,params", CASES)
def test_keras_layer_matches_numpy_activation(name, params):
    x = np.linspace(-12, 12, 2001, dtype=np.float32)
    keras_out = np.asarray(dn.activation_layer(name, **params)(x))
    numpy_out = activations.get(name, **params).f(x.astype(np.float64))
    np.testing.assert_allclose(keras_out, numpy_out, rtol=1e-5, atol=1e-6)


def test_every_layer_name_is_a_coursepkg_activation_name():
    assert set(dn.ACTIVATION_LAYERS) <= set(activations.names())


def test_elu_honours_alpha():
    x = np.array([-3.0, -1.0, 0.0, 2.0], dtype=np.float32)
    out = np.asarray(dn.activation_layer("elu", alpha=0.5)(x))
    np.testing.assert_allclose(out, [0.5 * (np.exp(-3) - 1), 0.5 * (np.exp(-1) - 1), 0.0, 2.0], rtol=1e-6)
    assert not np.allclose(out, np.asarray(dn.activation_layer("elu")(x)))
    # and the parameter survives a round trip through the layer config
    clone = dn.ELU.from_config(dn.activation_layer("elu", alpha=0.5).get_config())
    np.testing.assert_allclose(np.asarray(clone(x)), out)


def test_elu_gradient_is_finite_for_large_inputs():
    import tensorflow as tf
    x = tf.constant([-200.0, -1.0, 100.0, 200.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(dn.activation_layer("elu", alpha=2.0)(x))
    assert np.all(np.isfinite(tape.gradient(y, x)))


def test_bad_activation_name_or_parameter_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown activation function 'softsign'.*accepted: sigmoid"):
        dn.activation_layer("softsign")
    with pytest.raises(ValueError, match="'relu' has no parameter.*alpha; accepted parameters: none"):
        dn.activation_layer("relu", alpha=0.1)
    with pytest.raises(ValueError, match="'elu' has no parameter.*beta; accepted parameters: alpha"):
        dn.build_mlp("elu", act_params={"beta": 1.0})


# ----------------------------------------------------------------- the network

def test_fan_in_init_bounds_weights_and_biases():
    net = dn.build_mlp("relu", seed=3)
    fan_ins = [784, 512, 256, 256, 128]
    assert [layer.kernel.shape[0] for layer in dn.dense_layers(net)] == fan_ins
    for layer, fan_in in zip(dn.dense_layers(net), fan_ins):
        bound = 1 / np.sqrt(fan_in)
        for values in (np.asarray(layer.kernel), np.asarray(layer.bias)):
            assert np.abs(values).max() <= bound
            assert np.abs(values).max() > 0.8 * bound  # uses the range, not zeros
        # a uniform law on [-b, b] has standard deviation b / sqrt(3)
        assert np.std(np.asarray(layer.kernel)) == pytest.approx(bound / np.sqrt(3), rel=0.05)
    table = dn.architecture_table(net)
    assert list(table.loc[["dense_0", "logits"], "init bound"]) == pytest.approx(
        [round(1 / np.sqrt(784), 4), round(1 / np.sqrt(128), 4)])
    assert table["parameters"].sum() == net.count_params()


def test_same_seed_same_network_other_seed_other_network():
    X = np.random.default_rng(0).uniform(-1, 1, size=(5, 784)).astype(np.float32)
    same = [np.asarray(dn.build_mlp("tanh", seed=7)(X)) for _ in range(2)]
    other = np.asarray(dn.build_mlp("tanh", seed=8)(X))
    np.testing.assert_array_equal(same[0], same[1])
    assert not np.allclose(same[0], other)


def test_weight_gradients_one_array_per_dense_kernel(data):
    net = dn.build_mlp("tanh", hidden_sizes=(8, 6), n_classes=10, seed=1)
    X, y = data.X_train[:64], data.y_train[:64]
    grads = dn.weight_gradients(net, X, y)
    assert [g.shape for g in grads] == [(784, 8), (8, 6), (6, 10)]
    assert all(np.all(np.isfinite(g)) and np.any(g != 0) for g in grads)
    # they are gradients of the loss: a small step against them lowers it
    loss = lambda: float(dn.loss_fn(y, net(X)))  # noqa: E731
    before = loss()
    for layer, grad_w in zip(dn.dense_layers(net), grads):
        layer.kernel.assign(np.asarray(layer.kernel) - 0.5 * grad_w)
    assert loss() < before


def test_sigmoid_has_the_smallest_first_layer_gradients(data):
    """The UvA tutorial's first finding: at initialisation sigmoid's input-layer gradients are
    far smaller than those of tanh and the ReLU family."""
    grads = dn.gradient_flow(data)
    first = {name: np.abs(g[0]).mean() for name, g in grads.items()}
    assert min(first, key=first.get) == "sigmoid"
    assert first["sigmoid"] < 0.2 * min(v for k, v in first.items() if k != "sigmoid")


# ----------------------------------------------------------------- training and cache

def test_short_training_lowers_the_loss(tiny, tmp_path):
    result = dn.train_mlp("relu", tiny, hidden_sizes=SMALL, n_epochs=4, lr=0.05, batch_size=64,
                          cache_dir=tmp_path, progress=False)
    assert result.history["loss"][-1] < 0.8 * result.history["loss"][0]
    assert result.test_accuracy > 0.5  # ten classes: chance is 0.1


def test_cache_round_trip_and_invalidation(tiny, tmp_path):
    kwargs = dict(hidden_sizes=SMALL, n_epochs=1, cache_dir=tmp_path, progress=False)
    trained = dn.train_mlp("elu", tiny, act_params={"alpha": 0.5}, **kwargs)
    assert not trained.from_cache and len(list(tmp_path.iterdir())) == 2  # weights + config

    loaded = dn.train_mlp("elu", tiny, act_params={"alpha": 0.5}, **kwargs)
    assert loaded.from_cache
    X = tiny.X_test[:100]
    np.testing.assert_array_equal(np.asarray(loaded.net(X)), np.asarray(trained.net(X)))
    assert loaded.history == trained.history and loaded.test_accuracy == trained.test_accuracy

    # a changed configuration (here the activation's alpha) trains anew
    assert not dn.train_mlp("elu", tiny, act_params={"alpha": 1.0}, **kwargs).from_cache
    # so do other training images
    fewer = dataclasses.replace(tiny, X_train=tiny.X_train[:500], y_train=tiny.y_train[:500])
    assert not dn.train_mlp("elu", fewer, act_params={"alpha": 0.5}, **kwargs).from_cache
    # and retrain=True ignores the cache
    assert not dn.train_mlp("elu", tiny, act_params={"alpha": 0.5}, retrain=True, **kwargs).from_cache


def test_cache_ignores_a_file_whose_config_differs(tiny, tmp_path):
    kwargs = dict(hidden_sizes=SMALL, n_epochs=1, cache_dir=tmp_path, progress=False)
    first = dn.train_mlp("tanh", tiny, **kwargs)
    _, config_file = dn.cache_paths(first.config, tmp_path)
    config_file.write_text(config_file.read_text().replace('"momentum": 0.9', '"momentum": 0.5'))
    assert not dn.train_mlp("tanh", tiny, **kwargs).from_cache


# ----------------------------------------------------------------- dead neurons

def test_dead_neuron_counter_on_a_hand_built_network():
    """Inputs are >= 0. Layer 0: unit 1 (negative weights and bias) and unit 3 (zero
    weights, negative bias) never fire; unit 0 fires only when x0 > x1, so it is alive.
    Layer 1: unit 2 sees only non-negative inputs through negative weights: dead."""
    net = dn.build_mlp("relu", hidden_sizes=(4, 3), n_classes=2, n_inputs=2, seed=0)
    W0 = np.array([[1.0, -1.0, 1.0, 0.0],
                   [-1.0, -2.0, 1.0, 0.0]])
    b0 = np.array([0.0, -0.1, 0.5, -1.0])
    W1 = np.array([[1.0, 0.0, -1.0],
                   [0.0, 1.0, -1.0],
                   [1.0, 1.0, -1.0],
                   [1.0, 1.0, 1.0]])
    b1 = np.array([0.0, 0.1, -0.2])
    dense = dn.dense_layers(net)
    dense[0].set_weights([W0, b0])
    dense[1].set_weights([W1, b1])
    X = np.random.default_rng(0).uniform(0, 1, size=(500, 2))
    dead = dn.count_dead_neurons(net, X, batch_size=64)  # several batches
    assert dead.counts == [2, 1] and dead.sizes == [4, 3]
    assert dead.percentages == pytest.approx([50.0, 100 / 3])
    # unit 0 of layer 0 is zero on about half the inputs but not on all of them
    only_x1_large = X[X[:, 0] < X[:, 1]]
    assert dn.count_dead_neurons(net, only_x1_large).counts[0] == 3


def test_dead_neurons_grow_with_depth_at_initialisation(data):
    """The UvA tutorial's last finding, on the whole training subset: the 10-layer ReLU net has
    more dead units in its deep layers than in its first ones, and than the 4-layer net."""
    counts = dn.dead_neuron_study(data)
    deep = counts["10 layers, initialisation"]
    assert len(deep.counts) == 10 and deep.sizes == list(dn.DEEP_HIDDEN_SIZES)
    assert sum(deep.percentages[5:]) > sum(deep.percentages[:2]) + 20
    assert max(deep.percentages) > max(counts["4 layers, initialisation"].percentages)
    table = plots.dead_neuron_table(counts)  # one row per layer: narrow enough for a phone
    assert table.shape == (10, 2) and table.iloc[0, 1].endswith("%)")
    assert list(table.index) == list(range(10)) and table.iloc[9, 0] == ""


# ----------------------------------------------------------------- figures

def test_figures_have_one_panel_per_network_and_one_curve_per_layer(tiny):
    nets = {name: dn.build_mlp(name, hidden_sizes=SMALL, seed=0) for name in ("tanh", "relu")}
    grads = {name: dn.weight_gradients(net, tiny.X_train[:32], tiny.y_train[:32])
             for name, net in nets.items()}
    fig = plots.plot_layer_distributions(grads, log_abs=True, xlabel="grad_w")
    axs = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in axs] == ["tanh", "relu"]
    assert all(len(ax.patches) == 3 for ax in axs)  # 2 hidden weight matrices + output
    results = {name: dn.TrainResult(net, config={}) for name, net in nets.items()}
    values = dn.activation_values(results, tiny.X_train[:32])
    assert list(values["relu"]) == ["hidden layer 0", "hidden layer 1"]
    assert values["relu"]["hidden layer 1"].shape == (32, SMALL[1])
    assert (values["relu"]["hidden layer 0"] >= 0).all()  # ReLU outputs, not Dense outputs
    with_dense = dn.activation_values(results, tiny.X_train[:32], include_dense=True)
    assert list(with_dense["tanh"]) == ["layer 0 - Dense", "layer 1 - tanh",
                                        "layer 2 - Dense", "layer 3 - tanh"]


def test_gradient_table_has_one_row_per_layer_and_one_column_per_network(tiny):
    net = dn.build_mlp("tanh", hidden_sizes=SMALL, seed=0)
    grads = {"tanh": dn.weight_gradients(net, tiny.X_train[:32], tiny.y_train[:32])}
    table = plots.gradient_table(grads, formatted=False)
    assert list(table.index) == [0, 1, 2] and list(table.columns) == ["tanh"]
    np.testing.assert_allclose(table["tanh"], [np.abs(g).mean() for g in grads["tanh"]])


def test_accuracy_table_puts_the_published_numbers_beside_ours(tiny):
    results = {"relu": dn.TrainResult(None, {}, {"val_accuracy": [0.5, 0.7, 0.6]}, 0.65)}
    table = plots.accuracy_table(results, dn.TUTORIAL_TEST_ACCURACY, "UvA tutorial (%)")
    assert table.loc["relu"].to_dict() == {"test accuracy (%)": 65.0, "best val. accuracy (%)": 70.0,
                                           "epochs": 3, "UvA tutorial (%)": 88.65}


# ----------------------------------------------------------------- cache folder, data lines

def test_model_cache_is_outside_the_source_tree_by_default(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSEPKG_CACHE_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    default = dn.default_cache_dir()
    assert not default.resolve().is_relative_to(REPO) and default.name == "deepnets"
    monkeypatch.setenv("COURSEPKG_CACHE_DIR", str(tmp_path / "c"))
    assert dn.default_cache_dir() == tmp_path / "c" / "deepnets"


def test_data_summary_prints_short_lines(data):
    assert all(len(line) <= 80 for line in data.summary().splitlines())
    assert data.summary().startswith("data: ")


# ----------------------------------------------------------------- quiet TensorFlow

def test_importing_deepnets_shows_no_tensorflow_start_up_noise(tmp_path):
    """A fresh interpreter with neither variable set, as when a student runs the chapter:
    no oneDNN, CUDA-driver or cuInit lines on stderr, and the variables were set."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", "CUDA_VISIBLE_DEVICES", "COURSEPKG_GPU")}
    code = ("import os, coursepkg.deepnets as dn; dn.build_mlp('relu', hidden_sizes=(4,))"
            "(__import__('numpy').zeros((1, 784), 'float32'));"
            "print(os.environ['TF_CPP_MIN_LOG_LEVEL'], repr(os.environ.get('CUDA_VISIBLE_DEVICES')))")
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for noise in ("cuInit", "oneDNN", "cuda drivers", "absl::InitializeLog", "cpu_feature_guard"):
        assert noise not in proc.stderr, proc.stderr[-2000:]
    expected_cuda = "None" if _tensorflow.gpu_wanted() else "''"
    assert proc.stdout.split() == ["2", expected_cuda]


def test_quiet_import_keeps_lines_that_are_not_start_up_noise():
    noise = ["WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
             "I0000 00:00:1796160333.48 24671 port.cc:153] oneDNN custom operations are on. You may",
             "I0000 00:00:1796160333.48 24671 cudart_stub.cc:31] Could not find cuda drivers on your",
             "E0000 00:00:1796160339.40 24671 cuda_platform.cc:52] failed call to cuInit: INTERNAL"]
    assert not any(_tensorflow.keep_line(line, gpu=False) for line in noise)
    assert _tensorflow.keep_line(noise[3], gpu=True)  # with a GPU, a CUDA failure matters
    real = "E0000 00:00:1.0 1 op_kernel.cc:1] OOM when allocating tensor with shape[784,512]"
    assert _tensorflow.keep_line(real, gpu=False)
    assert _tensorflow.keep_line("Traceback (most recent call last):", gpu=False)


def test_what_the_loader_says_about_the_data_is_printed_in_short_lines(capsys):
    dn.load_study_data(source="subset")
    out = capsys.readouterr().out
    assert "MNIST" in out  # the loader still says which images these are
    assert max(len(line) for line in out.splitlines()) <= dn.study_data.WRAP
