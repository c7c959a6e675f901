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



# The update folded into BLAS gemm (C ← λ Oᵀ Δ + μ C) for large layers.
def _plain_and_folded_step(net, X, Y, lr, momentum, velocity):
    """One _train_step with every layer folded (_FUSE_MIN = 1) and one on the plain path (no BLAS routine)."""
    from unittest import mock

    import backprop_book.train as tr
    from backprop_book.backprop import _Workspace, check_data

    X_arr, Y_arr, loss_fn = check_data(net, X, Y)
    runs = []
    for patch in (mock.patch.object(tr, "_FUSE_MIN", 1), mock.patch.object(tr, "_GEMM", {})):
        copy, v = net.copy(), [a.copy() for a in velocity]
        with patch, np.errstate(all="raise"):
            assert tr._train_step(copy, _Workspace(copy, X_arr.shape[0]), X_arr, Y_arr, loss_fn, lr, momentum, v)
        runs.append((copy, v))
    return runs


def _step_inputs(net, X, Y):
    """O^{k-1} and Δ^k of the step (the same on both paths), from the workspace backward phase."""
    from backprop_book.backprop import _backward_into, _forward_into, _Workspace, check_data

    X_arr, Y_arr, loss_fn = check_data(net, X, Y)
    ws = _Workspace(net, X_arr.shape[0])
    _forward_into(net, ws, X_arr)
    _backward_into(net, ws, Y_arr, loss_fn)
    return ws.O, ws.D


@given(layer_sizes(1, 3, 9), st.integers(1, 40), st.sampled_from([np.float64, np.float32]),
       st.floats(1e-3, 1.0), st.sampled_from([0.0, 0.5, 0.9]), seeds())
def test_folded_update_is_within_the_rounding_bound(sizes, N, dtype, lr, momentum, seed):
    from backprop_book.train import _GEMM

    if np.dtype(dtype) not in _GEMM:
        pytest.skip(f"no BLAS gemm found for {np.dtype(dtype).name}")
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(N, sizes[0])), rng.normal(size=(N, sizes[-1]))
    net = MLP(sizes, hidden="sigmoid", output="identity", seed=seed % 1000, dtype=dtype)
    params = net.weights + net.biases
    velocity = [rng.normal(scale=0.1, size=p.shape).astype(dtype) for p in params] if momentum else []
    (folded, v_f), (plain, v_p) = _plain_and_folded_step(net, X, Y, lr, momentum, velocity)
    O, D = _step_inputs(net, X, Y)  # noqa: E741
    u = np.finfo(dtype).eps / 2
    for k in range(1, net.m + 1):
        # (eq-train-gemm-bound): each path is within (N + 2) u (|C| + lr |O|ᵀ|Δ|) of the exact result
        C_old = velocity[k - 1] * momentum if momentum else net.weights[k - 1]
        bound = 2 * (N + 2) * u * (np.abs(C_old) + lr * np.abs(O[k - 1]).T @ np.abs(D[k]))
        if momentum:
            assert np.all(np.abs(v_f[k - 1] - v_p[k - 1]) <= bound)
            W_new = np.abs(net.weights[k - 1]) + np.abs(v_p[k - 1]) + bound
            bound = bound + 2 * u * W_new  # then W + ΔW, rounded once on each path
        assert np.all(np.abs(folded.weights[k - 1] - plain.weights[k - 1]) <= bound)
    for b_f, b_p in zip(folded.biases, plain.biases, strict=True):  # biases always take the plain path
        assert np.array_equal(b_f, b_p)


def test_large_layers_are_folded_by_default_and_small_ones_are_not():
    """train() hands W^1 (120 x 80 weights) to gemm and updates the small W^2 on the plain path."""
    from unittest import mock

    import backprop_book.train as tr

    if not tr._GEMM:
        pytest.skip("no BLAS gemm found")
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(30, 120)), rng.normal(size=(30, 1))
    net = MLP((120, 80, 1), hidden="sigmoid", output="identity", seed=0)
    assert net.weights[0].size >= tr._FUSE_MIN > net.weights[1].size
    reference, W_old = net.copy(), net.weights[0].copy()
    O, D = _step_inputs(net, X, Y)  # noqa: E741
    with mock.patch.object(tr, "_gemm_update", wraps=tr._gemm_update) as spy:
        train(net, X, Y, lr=0.5, epochs=1, progress=False)
    assert spy.call_count == 1 and spy.call_args.args[5] is net.weights[0]
    with mock.patch.object(tr, "_GEMM", {}):
        train(reference, X, Y, lr=0.5, epochs=1, progress=False)
    bound = 2 * (30 + 2) * np.finfo(float).eps / 2 * (np.abs(W_old) + 0.5 * np.abs(O[0]).T @ np.abs(D[1]))
    assert np.all(np.abs(net.weights[0] - reference.weights[0]) <= bound)
    assert np.array_equal(net.weights[1], reference.weights[1])


def test_blas_routines_are_found_in_numpy_wheels():
    from backprop_book.train import _GEMM

    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    if blas.get("name") != "scipy-openblas":
        pytest.skip(f"numpy built with {blas.get('name')}, not the OpenBLAS of the numpy wheels")
    assert set(_GEMM) == {np.dtype(np.float64), np.dtype(np.float32)}


def test_a_wrongly_wired_routine_is_rejected():
    from backprop_book.train import _GEMM, _gemm_agrees

    for dtype in (np.dtype(np.float64), np.dtype(np.float32)):
        assert not _gemm_agrees(lambda *args: None, dtype)
        if dtype in _GEMM:
            assert _gemm_agrees(_GEMM[dtype], dtype)


def test_arrays_not_in_c_order_take_the_plain_path():
    """Fortran-ordered weights and data cannot be handed to the row-major call; the step stays exact."""
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(50, 70)), rng.normal(size=(50, 2))
    net = MLP((70, 90, 2), hidden="tanh", output="identity", seed=1)
    net.weights = [np.asfortranarray(W) for W in net.weights]
    assert not net.weights[0].flags.c_contiguous
    dW, db = net.gradients(X, Y)
    expected = [p - 0.1 * g for p, g in zip(net.weights + net.biases, dW + db, strict=True)]
    train(net, np.asfortranarray(X), Y, lr=0.1, epochs=1, progress=False)
    for p, e in zip(net.weights + net.biases, expected, strict=True):
        assert np.array_equal(p, e)
