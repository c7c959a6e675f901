"""Tests for backprop_book.backprop: the error, matrix and node-by-node backpropagation."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import float_arrays, layer_sizes, seeds

from backprop_book.backprop import (
    backward,
    flat_params,
    flatten,
    gradients,
    gradients_node_by_node,
    loss,
    set_flat_params,
)
from backprop_book.gradcheck import check_gradient, relative_error
from backprop_book.mlp import MLP

HIDDEN = ["identity", "step", "sigmoid", "tanh", "relu"]
PAIRS = [("squared", out) for out in ("identity", "step", "sigmoid", "tanh", "relu", "softmax")]
PAIRS += [("cross_entropy", "softmax"), ("binary_cross_entropy", "sigmoid")]
KINKED = {"relu", "step"}
MARGIN = 1e-3  # pre-activations of relu/step layers stay this far from the kink at 0


@st.composite
def problems(draw, max_n=16):
    """A random network (depth 1-5, widths 1-12, nonzero biases) with data and targets for its loss."""
    hidden = draw(st.sampled_from(HIDDEN))
    loss_name, output = draw(st.sampled_from(PAIRS))
    sizes = draw(layer_sizes(1, 5, 12))
    if loss_name == "cross_entropy":
        sizes[-1] = max(sizes[-1], 2)
    seed = draw(seeds())
    n = draw(st.integers(1, max_n))
    net = MLP(tuple(sizes), hidden=hidden, output=output, seed=seed)
    rng = np.random.default_rng(seed)
    net.biases = [rng.normal(0.0, 0.5, size=b.shape) for b in net.biases]
    X = draw(float_arrays((n, sizes[0]), -2.0, 2.0))
    if loss_name == "cross_entropy":
        labels = draw(st.lists(st.integers(0, sizes[-1] - 1), min_size=n, max_size=n))
        Y = np.eye(sizes[-1])[labels]
    elif loss_name == "binary_cross_entropy":
        Y = draw(float_arrays((n, sizes[-1]), 0.0, 1.0))
    else:
        Y = draw(float_arrays((n, sizes[-1]), -2.0, 2.0))
    A = net.forward_trace(X).A
    kinked = [A[k] for k in range(1, net.m) if hidden in KINKED]
    if output in KINKED:
        kinked.append(A[net.m])
    assume(all(np.min(np.abs(a)) > MARGIN for a in kinked))
    return net, X, Y, loss_name


def _flat_check(net, X, Y, loss_name):
    probe = net.copy()

    def E(theta):
        set_flat_params(probe, theta)
        return probe.loss(X, Y, loss_name)

    def grad_E(theta):
        set_flat_params(probe, theta)
        return flatten(*probe.gradients(X, Y, loss_name))

    return check_gradient(E, grad_E, flat_params(net))


@given(problems())
def test_gradients_match_central_differences(problem):
    net, X, Y, loss_name = problem
    result = _flat_check(net, X, Y, loss_name)
    assert result.passed(1e-6), f"{net!r} {loss_name}: {result}"


@given(problems())
def test_node_by_node_equals_matrix(problem):
    net, X, Y, loss_name = problem
    slow = gradients_node_by_node(net, X, Y, loss_name)
    fast = gradients(net, X, Y, loss_name)
    for s, f, ref in zip(slow[0] + slow[1], fast[0] + fast[1], net.weights + net.biases, strict=True):
        assert s.shape == f.shape == ref.shape
        np.testing.assert_allclose(s, f, rtol=1e-10, atol=1e-10)


@given(problems(max_n=8))
def test_backward_from_trace_equals_gradients(problem):
    net, X, Y, loss_name = problem
    before = flat_params(net)
    dW, db = backward(net, net.forward_trace(X), Y, loss_name)
    dW2, db2 = net.gradients(X, Y, loss_name)
    assert all(np.array_equal(a, b) for a, b in zip(dW + db, dW2 + db2, strict=True))
    assert np.array_equal(flat_params(net), before)  # the network is not modified


@given(problems(max_n=8))
def test_loss_is_the_average_error(problem):
    net, X, Y, loss_name = problem
    P = net.forward(X)
    with np.errstate(divide="ignore"):
        if loss_name == "squared":
            expected = 0.5 * np.sum((P - Y) ** 2) / len(X)
        elif loss_name == "cross_entropy":
            expected = -np.sum(Y * np.log(P)) / len(X)
        else:
            expected = -np.sum(Y * np.log(P) + (1 - Y) * np.log1p(-P)) / len(X)
    assume(np.isfinite(expected))
    assert np.isclose(net.loss(X, Y, loss_name), expected, rtol=1e-9, atol=1e-12)
    # E is the average: the same data twice gives the same E
    assert np.isclose(net.loss(np.vstack([X, X]), np.vstack([Y, Y]), loss_name), net.loss(X, Y, loss_name),
                      rtol=1e-12, atol=1e-15)


def test_methods_are_attached():
    net = MLP((2, 3, 1), seed=0)
    X, Y = np.ones((2, 2)), np.zeros((2, 1))
    assert net.loss(X, Y) == loss(net, X, Y)
    assert all(np.array_equal(a, b) for a, b in zip(net.gradients(X, Y)[0], gradients(net, X, Y)[0], strict=True))


def test_loss_is_stable_for_huge_logits():
    net = MLP((2, 3), hidden="sigmoid", output="softmax", seed=0)
    net.weights[0] = np.array([[800.0, -800.0, 0.0], [0.0, 0.0, 900.0]])
    X, labels = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.array([1, 0, 1])
    E = net.loss(X, labels, "cross_entropy")
    # logits (800, -800, 0), (0, 0, 900), (800, -800, 900): E_d = max logit - true logit = 1600, 900, 1700
    assert np.isfinite(E) and np.isclose(E, (1600 + 900 + 1700) / 3, rtol=1e-12)
    dW, db = net.gradients(X, labels, "cross_entropy")
    assert all(np.all(np.isfinite(g)) for g in dW + db)

    bce = MLP((1, 1), hidden="identity", output="sigmoid", seed=0)
    bce.weights[0] = np.array([[1000.0]])
    assert np.isclose(bce.loss(np.array([[1.0]]), np.array([[0.0]]), "binary_cross_entropy"), 1000.0)


def test_output_delta_is_yhat_minus_y_for_natural_pairs():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(5, 3))
    for loss_name, output in [("squared", "identity"), ("cross_entropy", "softmax"),
                              ("binary_cross_entropy", "sigmoid")]:
        net = MLP((3, 4), hidden="tanh", output=output, seed=1)
        Y = np.eye(4)[rng.integers(0, 4, size=5)]
        dW, db = net.gradients(X, Y, loss_name)
        assert np.allclose(db[0], (net.forward(X) - Y).mean(axis=0), rtol=1e-12, atol=1e-15)
        assert np.allclose(dW[0], X.T @ (net.forward(X) - Y) / 5, rtol=1e-12, atol=1e-15)


def test_label_targets_equal_one_hot_targets():
    net = MLP((2, 5, 3), hidden="relu", output="softmax", seed=2)
    X = np.random.default_rng(0).normal(size=(6, 2))
    labels = np.array([0, 2, 1, 1, 0, 2])
    onehot = np.eye(3)[labels]
    assert net.loss(X, labels, "cross_entropy") == net.loss(X, onehot, "cross_entropy")
    g_labels = flatten(*net.gradients(X, labels, "cross_entropy"))
    assert np.array_equal(g_labels, flatten(*net.gradients(X, onehot, "cross_entropy")))


def test_float32_network_gives_float32_gradients():
    net = MLP((3, 4, 2), hidden="tanh", output="identity", seed=0, dtype=np.float32)
    X = np.random.default_rng(0).normal(size=(5, 3))
    dW, db = net.gradients(X, np.zeros((5, 2)))
    assert all(g.dtype == np.float32 for g in dW + db)
    ref = MLP((3, 4, 2), hidden="tanh", output="identity", seed=0)
    set_flat_params(ref, flat_params(net).astype(np.float64))
    err = relative_error(flatten(dW, db), flatten(*ref.gradients(X, np.zeros((5, 2)))))
    assert err.max() < 1e-4  # float32 rounding only


@given(layer_sizes(1, 4, 6), seeds())
def test_flat_params_round_trip(sizes, seed):
    net = MLP(tuple(sizes), seed=seed)
    theta = flat_params(net)
    assert theta.shape == (net.n_params,)
    other = MLP(tuple(sizes), seed=seed + 1)
    set_flat_params(other, theta)
    assert np.array_equal(flat_params(other), theta)
    assert all(np.array_equal(a, b) for a, b in zip(other.weights + other.biases, net.weights + net.biases, strict=True))
    theta[0] += 1.0  # the network does not alias the vector
    assert not np.array_equal(flat_params(other), theta)


def test_set_flat_params_rejects_bad_vectors():
    net = MLP((2, 3, 1), seed=0)
    with pytest.raises(ValueError, match=r"theta must have shape \(13,\)"):
        set_flat_params(net, np.zeros(12))
    with pytest.raises(ValueError, match="finite"):
        set_flat_params(net, np.full(13, np.nan))


NET = MLP((3, 4, 2), hidden="sigmoid", output="identity", seed=0)
X_OK, Y_OK = np.zeros((5, 3)), np.zeros((5, 2))


@pytest.mark.parametrize("fn", [loss, gradients, gradients_node_by_node])
@pytest.mark.parametrize(
    "X, Y, loss_name, error, message",
    [
        (X_OK, np.zeros((5, 3)), "squared", ValueError, r"\(N, 2\)"),
        (X_OK, np.zeros((4, 2)), "squared", ValueError, "one target row per example"),
        (X_OK, np.zeros(5), "squared", ValueError, "Y"),
        (np.zeros((5, 2)), Y_OK, "squared", ValueError, "X"),
        (X_OK, Y_OK, "cross_entropy", ValueError, "softmax"),
        (X_OK, Y_OK, "binary_cross_entropy", ValueError, "sigmoid"),
        (X_OK, Y_OK, "hinge", ValueError, "squared"),
        (X_OK, Y_OK, 3, TypeError, "loss"),
        (np.full((5, 3), np.nan), Y_OK, "squared", ValueError, "X"),
        (np.full((5, 3), np.inf), Y_OK, "squared", ValueError, "X"),
        (X_OK, np.full((5, 2), np.nan), "squared", ValueError, "NaN"),
        (np.zeros((0, 3)), np.zeros((0, 2)), "squared", ValueError, "empty"),
    ],
)
def test_bad_input_is_refused(fn, X, Y, loss_name, error, message):
    with pytest.raises(error, match=message):
        fn(NET, X, Y, loss_name)


def test_not_a_network_is_refused():
    with pytest.raises(TypeError, match="MLP"):
        gradients("net", X_OK, Y_OK)


def test_backward_checks_its_trace_and_targets():
    trace = NET.forward_trace(X_OK)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        backward(NET, trace, np.zeros((5, 1)))
    with pytest.raises(TypeError, match="trace"):
        backward(NET, (trace.A, trace.O), Y_OK)


# The workspace fast path (used by train): same operations, so identical results.
FAST_PAIRS = [("squared", out) for out in ("identity", "step", "sigmoid", "tanh", "relu", "softmax")]
FAST_PAIRS += [("cross_entropy", "softmax"), ("binary_cross_entropy", "sigmoid")]


@given(layer_sizes(1, 4, 7), st.integers(1, 6), st.sampled_from(["identity", "step", "sigmoid", "tanh", "relu"]),
       st.sampled_from(FAST_PAIRS), st.sampled_from([np.float64, np.float32]), seeds())
def test_workspace_path_is_bit_identical_to_gradients_and_loss(sizes, N, hidden, pair, dtype, seed):
    from backprop_book.backprop import (
        _backward_into,
        _error_into,
        _forward_into,
        _Workspace,
        check_data,
    )

    loss_name, output = pair
    sizes = sizes[:-1] + [max(sizes[-1], 2)] if output == "softmax" else sizes
    net = MLP(sizes, hidden=hidden, output=output, seed=seed % 1000, dtype=dtype)
    rng = np.random.default_rng(seed)
    net.biases = [rng.normal(size=b.shape) for b in net.biases]
    X = 3 * rng.normal(size=(N, sizes[0]))
    if loss_name == "cross_entropy":
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=N)]
    elif loss_name == "binary_cross_entropy":
        Y = rng.integers(0, 2, size=(N, sizes[-1])).astype(float)
    else:
        Y = rng.normal(size=(N, sizes[-1]))
    X_arr, Y_arr, loss_fn = check_data(net, X, Y, loss_name)
    ws = _Workspace(net, N)
    for _ in range(2):  # a reused workspace gives the same again
        _forward_into(net, ws, X_arr)
        _backward_into(net, ws, Y_arr, loss_fn)
        dW, db = net.gradients(X, Y, loss_name)
        for fast, ref in zip(ws.dW + ws.db, dW + db, strict=True):
            assert fast.dtype == ref.dtype and np.array_equal(fast, ref)
        assert np.array_equal(ws.O[net.m], net.forward(X))
        assert _error_into(net, ws, Y_arr, loss_fn) == net.loss(X, Y, loss_name)


def test_gradients_still_returns_fresh_arrays():
    net = MLP((3, 4, 2), seed=0)
    X, Y = np.ones((5, 3)), np.zeros((5, 2))
    first, second = net.gradients(X, Y), net.gradients(X, Y)
    arrays = first[0] + first[1] + second[0] + second[1]
    assert len({id(a) for a in arrays}) == len(arrays)
    assert not any(np.shares_memory(a, p) for a in arrays for p in net.weights + net.biases)
