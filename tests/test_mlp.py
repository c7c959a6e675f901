"""Tests for backprop_book.mlp: forward pass (node by node = matrices), parameters, validation."""

import copy
import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import layer_sizes, seeds

from backprop_book.activations import ACTIVATIONS
from backprop_book.mlp import (
    HIDDEN_ACTIVATIONS,
    MLP,
    OUTPUT_ACTIVATIONS,
    Trace,
    check_input,
    forward_node_by_node,
    linear_collapse,
)

HIDDEN = ["identity", "step", "sigmoid", "tanh", "relu"]
OUTPUT = ["identity", "sigmoid", "tanh", "relu", "softmax"]


@st.composite
def networks(draw, max_width=20):
    """A random MLP (depth 1-5, widths 1-max_width, any activations) with random nonzero biases."""
    sizes = draw(layer_sizes(min_depth=1, max_depth=5, max_width=max_width))
    hidden, output = draw(st.sampled_from(HIDDEN)), draw(st.sampled_from(OUTPUT))
    net = MLP(sizes, hidden=hidden, output=output, seed=draw(seeds()))
    rng = np.random.default_rng(draw(seeds()))
    net.biases = [rng.normal(size=b.shape) for b in net.biases]
    return net


def batch(draw, net, max_rows=4, scale=3.0):
    n = draw(st.integers(1, max_rows))
    return draw(hnp.arrays(np.float64, (n, net.sizes[0]), elements=st.floats(-scale, scale)))


# ---------------------------------------------------------------- node by node = matrices
@given(net=networks(), data=st.data())
def test_node_by_node_equals_matrix_forward(net, data):
    X = batch(data.draw, net, max_rows=3)
    trace = net.forward_trace(X)
    for d in range(X.shape[0]):
        a, o = forward_node_by_node(net, X[d])
        assert len(a) == len(o) == net.m + 1
        for k in range(net.m + 1):
            np.testing.assert_allclose(a[k], trace.A[k][d], rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(o[k], trace.O[k][d], rtol=1e-12, atol=1e-12)


def test_node_by_node_reads_like_the_formula():
    net = MLP([2, 3, 1], hidden="sigmoid", output="identity", seed=0)
    net.biases = [np.array([0.1, -0.2, 0.3]), np.array([0.5])]
    x = np.array([0.5, -1.0])
    a, o = forward_node_by_node(net, x)
    W1, b1, W2, b2 = net.weights[0], net.biases[0], net.weights[1], net.biases[1]
    for j in (1, 2, 3):
        a1 = b1[j - 1] + sum(W1[i - 1, j - 1] * x[i - 1] for i in (1, 2))
        assert a[1][j - 1] == pytest.approx(a1, rel=1e-15)
        assert o[1][j - 1] == pytest.approx(1 / (1 + np.exp(-a1)), rel=1e-15)
    yhat = b2[0] + sum(W2[j - 1, 0] * o[1][j - 1] for j in (1, 2, 3))
    assert o[2][0] == pytest.approx(yhat, rel=1e-15)
    assert net.forward(x)[0] == pytest.approx(yhat, rel=1e-14)


# ---------------------------------------------------------------- shapes, traces, dtypes
@given(net=networks(max_width=8), data=st.data())
def test_forward_shapes_and_trace(net, data):
    X = batch(data.draw, net)
    N = X.shape[0]
    trace = net.forward_trace(X)
    assert isinstance(trace, Trace) and len(trace.A) == len(trace.O) == net.m + 1
    np.testing.assert_array_equal(trace.A[0], X)
    np.testing.assert_array_equal(trace.O[0], X)
    for k in range(net.m + 1):
        assert trace.A[k].shape == trace.O[k].shape == (N, net.sizes[k])
    for k in range(1, net.m + 1):
        g = net.g_o if k == net.m else net.g
        np.testing.assert_array_equal(trace.A[k], trace.O[k - 1] @ net.weights[k - 1] + net.biases[k - 1])
        np.testing.assert_array_equal(trace.O[k], g.f(trace.A[k]))
    Yhat = net.forward(X)
    assert Yhat.shape == (N, net.sizes[-1])
    np.testing.assert_array_equal(Yhat, trace.Yhat)
    single = net.forward(X[0])
    assert single.shape == (net.sizes[-1],)
    np.testing.assert_allclose(single, Yhat[0], rtol=1e-12, atol=1e-12)  # BLAS may sum in another order
    np.testing.assert_array_equal(net(X), Yhat)


def test_forward_does_not_alias_the_input():
    net = MLP([2, 2, 1])
    X = np.ones((3, 2))
    trace = net.forward_trace(X)
    trace.A[0][0, 0] = 5.0
    assert X[0, 0] == 1.0


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output", OUTPUT)
def test_float32_network(hidden, output):
    net32 = MLP([3, 7, 5, 2], hidden=hidden, output=output, seed=11, dtype=np.float32)
    net64 = MLP([3, 7, 5, 2], hidden=hidden, output=output, seed=11)
    assert net32.dtype == np.float32 and net64.dtype == np.float64
    assert all(p.dtype == np.float32 for p in net32.weights + net32.biases)
    for W32, W64 in zip(net32.weights, net64.weights, strict=True):  # same draws, rounded
        np.testing.assert_array_equal(W32, W64.astype(np.float32))
    X = np.random.default_rng(0).normal(size=(6, 3))
    trace = net32.forward_trace(X)
    assert all(A.dtype == np.float32 for A in trace.A) and all(o.dtype == np.float32 for o in trace.O)
    assert net32.forward(X).dtype == np.float32
    assert net32.forward(X[0]).dtype == np.float32
    if hidden != "step":  # a step can flip on a float32 rounding of a sum near 0
        np.testing.assert_allclose(net32.forward(X), net64.forward(X), rtol=1e-5, atol=1e-5)
    net32.weights[0] = np.ones((3, 7))  # assignment is cast to the network's dtype
    assert net32.weights[0].dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output", OUTPUT)
def test_large_inputs_give_finite_outputs_without_warnings(hidden, output, dtype):
    net = MLP([4, 16, 16, 3], hidden=hidden, output=output, seed=1, dtype=dtype)
    X = np.array([[1e4, -1e4, 1e4, -1e4], [-1e4, -1e4, -1e4, -1e4], [1e4, 1e4, 0.0, 3.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        trace = net.forward_trace(X)
    assert all(np.all(np.isfinite(o)) for o in trace.O)


# ---------------------------------------------------------------- initialisation and parameters
def test_initialisation_is_seeded_with_fan_in_scale():
    a, b = MLP([400, 300, 200], seed=3), MLP([400, 300, 200], seed=3)
    for Wa, Wb in zip(a.weights, b.weights, strict=True):
        np.testing.assert_array_equal(Wa, Wb)
    assert not np.array_equal(MLP([400, 300, 200], seed=4).weights[0], a.weights[0])
    for k, W in enumerate(a.weights, start=1):
        fan_in = a.sizes[k - 1]
        assert W.shape == (fan_in, a.sizes[k])
        # sample std of >= 60000 normal draws: within 2% of 1/sqrt(fan-in) (about 7 standard errors)
        assert abs(W.std() * np.sqrt(fan_in) - 1) < 0.02
        assert abs(W.mean()) < 0.02 / np.sqrt(fan_in)
    assert all(np.array_equal(b, np.zeros(r)) for b, r in zip(a.biases, a.sizes[1:], strict=True))


def test_same_draws_as_default_rng():
    net = MLP([3, 4, 2], seed=42)
    rng = np.random.default_rng(42)
    np.testing.assert_array_equal(net.weights[0], rng.standard_normal((3, 4)) / np.sqrt(3))
    np.testing.assert_array_equal(net.weights[1], rng.standard_normal((4, 2)) / np.sqrt(4))


@given(sizes=layer_sizes(min_depth=1, max_depth=5, max_width=20))
def test_attributes_and_n_params(sizes):
    net = MLP(sizes, hidden="tanh", output="softmax", seed=0)
    assert net.sizes == tuple(sizes) and net.m == len(sizes) - 1
    assert net.hidden == "tanh" and net.output == "softmax"
    assert net.g is ACTIVATIONS["tanh"] and net.g_o is ACTIVATIONS["softmax"]
    assert net.n_params == sum((sizes[k - 1] + 1) * sizes[k] for k in range(1, len(sizes)))
    assert [W.shape for W in net.weights] == [(sizes[k - 1], sizes[k]) for k in range(1, len(sizes))]
    assert [b.shape for b in net.biases] == [(r,) for r in sizes[1:]]
    assert repr(net) == (f"MLP(sizes={tuple(sizes)}, hidden='tanh', output='softmax', "
                         f"dtype=float64, n_params={net.n_params})")


def test_copy_is_independent():
    net = MLP([2, 3, 1], seed=0)
    w11 = float(net.weights[0][0, 0])
    for twin in (net.copy(), copy.deepcopy(net), copy.copy(net), pickle.loads(pickle.dumps(net))):
        assert type(twin) is MLP and repr(twin) == repr(net)
        assert all(np.array_equal(W, V) for W, V in zip(twin.weights, net.weights, strict=True))
        twin.weights[0][0, 0] += 1.0
        twin.biases[1] = np.array([2.0])
        assert twin.weights[0][0, 0] != w11 and twin.biases[1][0] == 2.0
        assert net.weights[0][0, 0] == w11 and net.biases[1][0] == 0.0
        with pytest.raises(ValueError, match="shape"):
            twin.weights[0] = np.zeros((3, 2))


def test_activation_can_be_changed_after_construction():
    net = MLP([2, 3, 1], hidden="sigmoid", seed=0)
    X = np.ones((2, 2))
    before = net.forward(X)
    net.hidden = "tanh"
    assert net.g is ACTIVATIONS["tanh"] and not np.allclose(net.forward(X), before)
    with pytest.raises(ValueError, match="hidden"):
        net.hidden = "softmax"
    with pytest.raises(ValueError, match="valid names"):
        net.output = "nope"


# ---------------------------------------------------------------- parameter assignment
def test_weight_assignment_is_validated_and_copied():
    net = MLP([2, 3, 1], seed=0)
    W = np.arange(6.0).reshape(2, 3)
    net.weights[0] = W
    np.testing.assert_array_equal(net.weights[0], W)
    W[0, 0] = 99.0
    assert net.weights[0][0, 0] == 0.0  # stored a copy
    net.weights[-1] = [[1.0], [2.0], [3.0]]  # nested lists and negative indices work
    np.testing.assert_array_equal(net.weights[1], [[1.0], [2.0], [3.0]])
    net.biases[0:2] = [np.ones(3), np.ones(1)]
    net.weights = [np.zeros((2, 3)), np.zeros((3, 1))]
    assert net.forward(np.ones(2))[0] == 1.0  # zero weights: output is b^2


@pytest.mark.parametrize(
    "assign, error, match",
    [
        (lambda n: n.weights.__setitem__(0, np.zeros((3, 2))), ValueError, r"W\^1 .*\(2, 3\) = \(r_0, r_1\)"),
        (lambda n: n.weights.__setitem__(1, np.zeros(3)), ValueError, r"W\^2 .*\(3, 1\)"),
        (lambda n: n.biases.__setitem__(0, np.zeros((3, 1))), ValueError, r"b\^1 .*\(3,\) = \(r_1,\)"),
        (lambda n: n.biases.__setitem__(1, [np.nan]), ValueError, "NaN or inf"),
        (lambda n: n.weights.__setitem__(0, np.full((2, 3), np.inf)), ValueError, "NaN or inf"),
        (lambda n: n.weights.__setitem__(0, np.full((2, 3), "a")), TypeError, "real numbers"),
        (lambda n: n.weights.__setitem__(2, np.zeros((3, 1))), IndexError, "2 layers"),
        (lambda n: setattr(n, "weights", [np.zeros((2, 3))]), ValueError, "list of 2 arrays"),
        (lambda n: setattr(n, "biases", np.zeros(4)), TypeError, "list of 2 arrays"),
        (lambda n: setattr(n, "weights", [np.zeros((2, 3)), np.zeros((1, 3))]), ValueError, r"W\^2"),
        (lambda n: n.weights.__setitem__(slice(0, 2), [np.zeros((2, 3))]), ValueError, "fixed"),
        (lambda n: n.weights.append(np.zeros((1, 1))), TypeError, "fixed"),
        (lambda n: n.biases.pop(), TypeError, "fixed"),
        (lambda n: n.weights.__delitem__(0), TypeError, "fixed"),
    ],
)
def test_bad_parameter_assignment_raises(assign, error, match):
    net = MLP([2, 3, 1], seed=0)
    before = [W.copy() for W in net.weights] + [b.copy() for b in net.biases]
    with pytest.raises(error, match=match):
        assign(net)
    after = list(net.weights) + list(net.biases)
    assert len(after) == 4 and all(np.array_equal(p, q) for p, q in zip(before, after, strict=True))


# ---------------------------------------------------------------- input validation
@pytest.mark.parametrize(
    "X, error, match",
    [
        (np.zeros((4, 3)), ValueError, r"shape \(N, 2\)"),
        (np.zeros(3), ValueError, r"shape \(N, 2\)"),
        (np.zeros((4, 2, 1)), ValueError, r"shape \(N, 2\)"),
        (np.float64(1.0), ValueError, r"shape \(N, 2\)"),
        (np.zeros((0, 2)), ValueError, "empty"),
        (np.zeros(0), ValueError, "empty|shape"),
        (np.array([[0.0, np.nan]]), ValueError, "NaN or inf.*row 0, column 1"),
        (np.array([[0.0, 1.0], [np.inf, 0.0]]), ValueError, "NaN or inf.*row 1, column 0"),
        (np.array([[1.0, None]], dtype=object), TypeError, "real numbers"),
        (np.array([[1.0, 2.0]], dtype=object), TypeError, "real numbers"),
        (np.array([["a", "b"]]), TypeError, "real numbers"),
        (np.array([[1 + 1j, 0j]]), TypeError, "real numbers"),
        ("ab", TypeError, "real numbers"),
        ([[1.0, 2.0], [3.0]], ValueError, "rectangular"),
    ],
)
def test_bad_input_raises_clear_errors(X, error, match):
    net = MLP([2, 3, 1], seed=0)
    with pytest.raises(error, match=match):
        net.forward(X)
    with pytest.raises(error, match=match):
        net.forward_trace(X)


def test_input_too_large_for_float32():
    net = MLP([2, 1], dtype=np.float32)
    with pytest.raises(ValueError, match="too large for float32"):
        net.forward(np.array([[1e300, 0.0]]))


def test_check_input_normalises():
    net = MLP([2, 1], dtype=np.float32)
    X = check_input(net, [[0, 1], [1, 0]])
    assert X.shape == (2, 2) and X.dtype == np.float32
    assert check_input(net, np.array([True, False])).shape == (1, 2)
    with pytest.raises(ValueError, match="Y must have shape"):
        check_input(net, np.zeros((2, 5)), name="Y")


def test_node_by_node_needs_one_example():
    net = MLP([2, 3, 1])
    with pytest.raises(ValueError, match="ONE example"):
        forward_node_by_node(net, np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        forward_node_by_node(net, np.zeros(3))
    with pytest.raises(ValueError, match="NaN"):
        forward_node_by_node(net, np.array([np.nan, 0.0]))


# ---------------------------------------------------------------- constructor validation
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(sizes=[3]), ValueError, "at least two"),
        (dict(sizes=[]), ValueError, "at least two"),
        (dict(sizes=[2, 0, 1]), ValueError, r"sizes\[1\] = r_1 must be at least 1"),
        (dict(sizes=[2, -3, 1]), ValueError, "at least 1"),
        (dict(sizes=[2, 3.0, 1]), TypeError, "must be an int"),
        (dict(sizes=[2, True]), TypeError, "must be an int"),
        (dict(sizes="23"), TypeError, "sequence"),
        (dict(sizes=5), TypeError, "sequence"),
        (dict(sizes=[2, 1], hidden="softmax"), ValueError, "hidden"),
        (dict(sizes=[2, 1], hidden="sigmiod"), ValueError, "valid names"),
        (dict(sizes=[2, 1], output="Softmax2"), ValueError, "valid names"),
        (dict(sizes=[2, 1], output=None), TypeError, "must be a str"),
        (dict(sizes=[2, 1], dtype=np.int64), ValueError, "float32 or np.float64"),
        (dict(sizes=[2, 1], dtype=np.float16), ValueError, "float32 or np.float64"),
        (dict(sizes=[2, 1], dtype="not a dtype"), TypeError, "float32 or np.float64"),
        (dict(sizes=[2, 1], seed=1.5), TypeError, "seed"),
    ],
)
def test_bad_constructor_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        MLP(**kwargs)


def test_activation_sets():
    assert set(HIDDEN) <= set(HIDDEN_ACTIVATIONS) and "softmax" not in HIDDEN_ACTIVATIONS
    assert set(OUTPUT) <= set(OUTPUT_ACTIVATIONS)
    for name in OUTPUT_ACTIVATIONS:
        assert MLP([2, 2], output=name).output == name
    assert MLP((np.int64(2), np.int32(3), 1)).sizes == (2, 3, 1)
    assert MLP([2, 1], dtype="float32").dtype == np.float32


# ---------------------------------------------------------------- linear collapse and nonlinearity
@given(sizes=layer_sizes(min_depth=1, max_depth=5, max_width=20), seed=seeds(), data=st.data())
def test_linear_network_collapses_to_one_affine_map(sizes, seed, data):
    net = MLP(sizes, hidden="identity", output="identity", seed=seed)
    rng = np.random.default_rng(seed)
    net.biases = [rng.normal(size=b.shape) for b in net.biases]
    X = batch(data.draw, net, max_rows=5)
    W, b = linear_collapse(net)
    assert W.shape == (sizes[0], sizes[-1]) and b.shape == (sizes[-1],)
    np.testing.assert_allclose(net.forward(X), X @ W + b, rtol=1e-12, atol=1e-12)


def test_linear_collapse_needs_identity_activations():
    for hidden, output in (("sigmoid", "identity"), ("identity", "relu")):
        with pytest.raises(ValueError, match="identity"):
            linear_collapse(MLP([2, 3, 1], hidden=hidden, output=output))
    W, b = linear_collapse(MLP([2, 1], hidden="tanh"))  # m = 1: no hidden layer to worry about
    assert W.shape == (2, 1)


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
def test_nonlinear_network_is_not_affine(hidden):
    net = MLP([3, 8, 8, 2], hidden=hidden, output="identity", seed=4)
    rng = np.random.default_rng(0)
    X1, X2 = rng.normal(size=(50, 3)) * 2, rng.normal(size=(50, 3)) * 2
    gap = np.abs(net.forward((X1 + X2) / 2) - (net.forward(X1) + net.forward(X2)) / 2)
    assert gap.max() > 1e-3  # an affine map would give 0 up to rounding


# ---------------------------------------------------------------- XOR by hand
def test_hand_built_xor_network():
    from backprop_book.perceptron import xor_data

    X, d = xor_data()
    net = MLP([2, 2, 1], hidden="sigmoid", output="sigmoid")
    net.weights[0] = [[20.0, 20.0], [20.0, 20.0]]
    net.biases[0] = [-10.0, -30.0]
    net.weights[1] = [[20.0], [-20.0]]
    net.biases[1] = [-10.0]
    yhat = net.forward(X)[:, 0]
    np.testing.assert_array_equal((yhat > 0.5).astype(int), d)
    assert np.max(np.abs(yhat - d)) < 1e-4
