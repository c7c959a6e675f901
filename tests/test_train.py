"""Tests for backprop_book.train: gradient descent, mini-batches, momentum, history and data."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import float_arrays, layer_sizes, seeds

from backprop_book.backprop import flat_params, flatten, set_flat_params
from backprop_book.mlp import MLP
from backprop_book.train import DivergenceError, History, make_sine, make_spiral, train

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_D = np.array([0, 1, 1, 0])


def test_xor_is_learned_to_zero_classification_error():
    net = MLP((2, 2, 1), hidden="sigmoid", output="sigmoid", seed=0)
    history = train(net, XOR_X, XOR_D[:, None], lr=2.0, momentum=0.9, epochs=3000, progress=False)
    assert history.epochs == 3000 and not history.stopped_early
    predicted = (net.forward(XOR_X)[:, 0] > 0.5).astype(int)
    assert np.array_equal(predicted, XOR_D)
    assert history.loss[-1] < 0.01


@given(st.integers(2, 16), st.integers(1, 5), st.integers(1, 3), seeds(), st.data())
def test_convex_single_layer_loss_decreases_monotonically(n, r0, r1, seed, data):
    X = data.draw(float_arrays((n, r0), -2.0, 2.0))
    Y = data.draw(float_arrays((n, r1), -2.0, 2.0))
    net = MLP((r0, r1), hidden="identity", output="identity", seed=seed)
    X1 = np.hstack([X, np.ones((n, 1))])
    L = np.linalg.eigvalsh(X1.T @ X1 / n).max()  # Hessian of E; lr <= 1/L guarantees descent
    E0 = net.loss(X, Y)
    history = train(net, X, Y, lr=0.5 / L, epochs=30, progress=False)
    losses = np.array([E0] + history.loss)
    # exact arithmetic gives a strict decrease; allow only the rounding of evaluating E itself
    assert np.all(np.diff(losses) <= 8 * np.finfo(float).eps * losses[:-1])


def test_momentum_follows_the_rhw_update():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(8, 2)), rng.normal(size=(8, 1))
    net = MLP((2, 3, 1), hidden="tanh", output="identity", seed=1)
    by_hand = net.copy()
    train(net, X, Y, lr=0.3, momentum=0.9, epochs=3, progress=False)
    theta, step = flat_params(by_hand), np.zeros(by_hand.n_params)
    for _ in range(3):  # Δw(t) = -ε ∂E/∂w + α Δw(t-1)
        step = -0.3 * flatten(*by_hand.gradients(X, Y)) + 0.9 * step
        theta = theta + step
        set_flat_params(by_hand, theta)
    np.testing.assert_allclose(flat_params(net), theta, rtol=1e-12, atol=1e-14)


def test_mini_batches_follow_the_seeded_permutation():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(7, 2)), rng.normal(size=(7, 2))
    net = MLP((2, 4, 2), hidden="sigmoid", output="identity", seed=2)
    by_hand = net.copy()
    train(net, X, Y, lr=0.5, epochs=2, batch_size=3, seed=42, progress=False)
    order_rng = np.random.default_rng(42)
    for _ in range(2):
        order = order_rng.permutation(7)
        for start in range(0, 7, 3):
            rows = order[start:start + 3]
            theta = flat_params(by_hand) - 0.5 * flatten(*by_hand.gradients(X[rows], Y[rows]))
            set_flat_params(by_hand, theta)
    np.testing.assert_allclose(flat_params(net), flat_params(by_hand), rtol=1e-12, atol=1e-14)


def test_same_seed_gives_bit_identical_weights():
    X, labels = make_spiral(20, seed=3)
    runs = []
    for seed in (7, 7, 8):
        net = MLP((2, 8, 3), hidden="relu", output="softmax", seed=0)
        train(net, X, labels, loss="cross_entropy", lr=0.2, epochs=5, batch_size=16, momentum=0.5,
              seed=seed, progress=False)
        runs.append(flat_params(net))
    assert np.array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])  # another seed shuffles differently


def test_history_and_callback():
    X, Y = make_sine(16, seed=0)
    net = MLP((1, 4, 1), hidden="tanh", output="identity", seed=0)
    seen = []

    def stop_at_4(epoch, network, E):
        seen.append((epoch, E))
        assert network is net
        return epoch == 4

    history = train(net, X, Y, lr=0.1, epochs=10, callback=stop_at_4, progress=False)
    assert isinstance(history, History)
    assert history.stopped_early and history.epochs == 4 and len(history.loss) == 4
    assert [e for e, _ in seen] == [1, 2, 3, 4]
    assert history.loss == [E for _, E in seen]
    assert history.loss[-1] == net.loss(X, Y)  # E after the last epoch, on all the data


def test_divergence_raises_and_resets_the_network():
    X, Y = make_sine(32, seed=1)
    net = MLP((1, 8, 1), hidden="identity", output="identity", seed=0)
    with pytest.raises(DivergenceError, match=r"epoch \d+.*smaller learning rate"):
        train(net, 50 * X, Y, lr=10.0, epochs=500, progress=False)
    assert issubclass(DivergenceError, FloatingPointError)
    assert np.all(np.isfinite(flat_params(net)))
    assert np.isfinite(net.loss(X, Y))


def test_progress_bar_shows_only_when_asked(capsys, monkeypatch):
    X, Y = make_sine(8, seed=0)
    net = MLP((1, 2, 1), seed=0)
    train(net, X, Y, epochs=3, progress=False)
    assert capsys.readouterr().err == ""
    train(net, X, Y, epochs=3, progress=True)
    assert "training" in capsys.readouterr().err
    monkeypatch.setenv("TQDM_DISABLE", "1")
    train(net, X, Y, epochs=3)
    assert capsys.readouterr().err == ""


NET = MLP((2, 3, 1), hidden="sigmoid", output="identity", seed=0)
X_OK, Y_OK = np.zeros((6, 2)), np.zeros((6, 1))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(lr=0.0), ValueError, "lr"),
        (dict(lr=-0.1), ValueError, "lr"),
        (dict(lr=float("nan")), ValueError, "lr"),
        (dict(lr=float("inf")), ValueError, "lr"),
        (dict(lr="0.1"), TypeError, "lr"),
        (dict(epochs=0), ValueError, "epochs"),
        (dict(epochs=2.5), TypeError, "epochs"),
        (dict(batch_size=0), ValueError, "batch_size"),
        (dict(batch_size=7), ValueError, "N = 6"),
        (dict(batch_size=2.0), TypeError, "batch_size"),
        (dict(momentum=1.0), ValueError, "momentum"),
        (dict(momentum=-0.5), ValueError, "momentum"),
        (dict(seed=None), TypeError, "seed"),
        (dict(callback=3), TypeError, "callback"),
        (dict(progress="yes"), TypeError, "progress"),
        (dict(loss="cross_entropy"), ValueError, "softmax"),
        (dict(Y=np.zeros((6, 2))), ValueError, r"\(N, 1\)"),
        (dict(Y=np.zeros((5, 1))), ValueError, "one target row per example"),
        (dict(X=np.full((6, 2), np.nan)), ValueError, "X"),
        (dict(X=np.zeros((0, 2)), Y=np.zeros((0, 1))), ValueError, "empty"),
    ],
)
def test_bad_settings_are_refused(kwargs, error, message):
    args = dict(X=X_OK, Y=Y_OK, progress=False)
    args.update(kwargs)
    before = flat_params(NET)
    with pytest.raises(error, match=message):
        train(NET, **args)
    assert np.array_equal(flat_params(NET), before)


@given(st.integers(1, 30), st.integers(2, 5), seeds())
def test_make_spiral(n, k, seed):
    X, labels = make_spiral(n, n_classes=k, seed=seed)
    assert X.shape == (n * k, 2) and labels.shape == (n * k,) and labels.dtype == np.int64
    assert np.array_equal(np.bincount(labels, minlength=k), [n] * k)
    assert np.all(np.linalg.norm(X, axis=1) <= 1.0 + 1e-12)
    X2, labels2 = make_spiral(n, n_classes=k, seed=seed)
    assert np.array_equal(X, X2) and np.array_equal(labels, labels2)


@given(st.integers(1, 50), seeds())
def test_make_sine(n, seed):
    X, Y = make_sine(n, seed=seed)
    assert X.shape == Y.shape == (n, 1)
    assert np.all(np.diff(X[:, 0]) >= 0) and np.all(np.abs(X) <= np.pi)
    assert np.array_equal(make_sine(n, seed=seed)[1], Y)
    assert np.array_equal(make_sine(n, seed=seed, noise=0.0)[1], np.sin(X))


@pytest.mark.parametrize("call", [lambda: make_spiral(0), lambda: make_spiral(5, n_classes=1),
                                  lambda: make_spiral(5, noise=-1.0), lambda: make_sine(0),
                                  lambda: make_sine(5, noise=float("nan"))])
def test_data_generators_refuse_bad_arguments(call):
    with pytest.raises(ValueError):
        call()


@given(layer_sizes(1, 3, 6), st.integers(1, 8), st.sampled_from([np.float64, np.float32]),
       st.floats(1e-3, 1.0), seeds())
def test_fast_step_is_exactly_the_plain_gradient_update(sizes, N, dtype, lr, seed):
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(N, sizes[0])), rng.normal(size=(N, sizes[-1]))
    net = MLP(sizes, hidden="sigmoid", output="identity", seed=seed % 1000, dtype=dtype)
    dW, db = net.gradients(X, Y)
    expected = [p - lr * g for p, g in zip(net.weights + net.biases, dW + db, strict=True)]
    train(net, X, Y, lr=lr, epochs=1, progress=False)
    for p, e in zip(net.weights + net.biases, expected, strict=True):
        assert p.dtype == e.dtype and np.array_equal(p, e)


def test_reused_forward_phase_changes_nothing():
    """Full batch reuses the error's forward phase for the next step; a callback switches that off."""
    X, Y = make_sine(24, seed=2)
    runs = []
    for callback in (None, lambda epoch, net, E: None):
        net = MLP((1, 6, 1), hidden="sigmoid", output="identity", seed=3)
        history = train(net, X, Y, lr=0.5, momentum=0.5, epochs=15, callback=callback, progress=False)
        runs.append((flat_params(net), history.loss))
    assert np.array_equal(runs[0][0], runs[1][0]) and runs[0][1] == runs[1][1]


def test_a_callback_that_changes_the_network_is_respected():
    X, Y = make_sine(12, seed=4)
    net = MLP((1, 3, 1), hidden="tanh", output="identity", seed=0)
    by_hand = net.copy()

    def halve(epoch, network, E):
        network.weights[0] *= 0.5  # in place, between two steps

    train(net, X, Y, lr=0.2, epochs=2, callback=halve, progress=False)
    for _ in range(2):
        theta = flat_params(by_hand) - 0.2 * flatten(*by_hand.gradients(X, Y))
        set_flat_params(by_hand, theta)
        by_hand.weights[0] *= 0.5
    assert np.array_equal(flat_params(net), flat_params(by_hand))

