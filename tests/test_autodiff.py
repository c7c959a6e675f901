"""Tests for backprop_book.autodiff: the scalar reverse-mode engine, dual numbers and the MLP bridge.

Every engine operation is checked against central differences on random inputs, the engine against
matrix backprop (`net.gradients`) on random networks, and both against HIPS autograd, an automatic
differentiation library written outside this project.
"""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import seeds

import backprop_book.backprop  # noqa: F401  (attaches net.loss and net.gradients to MLP)
from backprop_book.autodiff import (
    HIDDEN_NAMES,
    OUTPUT_NAMES,
    Dual,
    GraphSize,
    Value,
    backward,
    derivative,
    draw_graph,
    engine_gradients,
    forward_mode_gradients,
    graph_layout,
    graph_size,
    scalar_loss,
    topological_order,
    value_and_grad,
    value_graph,
)
from backprop_book.gradcheck import TOL, check_gradient, relative_error
from backprop_book.mlp import MLP

COMBOS = [(h, o, "squared") for h in HIDDEN_NAMES for o in OUTPUT_NAMES] + [
    (h, o, loss)
    for h in HIDDEN_NAMES
    for o, loss in (("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy"))
]


def finite(low: float, high: float) -> st.SearchStrategy:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def check_op(op, point) -> None:
    """Engine gradient of op (a function of a list of Values) against central differences."""
    x = np.array(point, dtype=np.float64)
    check = check_gradient(
        lambda z: op([Value(float(t)) for t in z]).data, lambda z: value_and_grad(op, z)[1], x
    )
    assert check.passed(TOL), str(check)


def flat(dW, db) -> np.ndarray:
    return np.concatenate([p.ravel() for W, b in zip(dW, db, strict=True) for p in (W, b)])


# ---------------------------------------------------------------- every operation vs central differences

UNARY = {
    "neg": (lambda v: -v[0], finite(-3, 3)),
    "exp": (lambda v: v[0].exp(), finite(-5, 5)),
    "log": (lambda v: v[0].log(), finite(0.05, 20)),
    "tanh": (lambda v: v[0].tanh(), finite(-4, 4)),
    "sigmoid": (lambda v: v[0].sigmoid(), finite(-30, 30)),
    "relu": (lambda v: v[0].relu(), finite(-3, 3).filter(lambda t: abs(t) > 1e-3)),
    "step": (lambda v: v[0].step() * v[0], finite(-3, 3).filter(lambda t: abs(t) > 1e-3)),
}


@pytest.mark.parametrize("name", list(UNARY))
@given(data=st.data())
def test_unary_operation_matches_central_differences(name, data):
    op, values = UNARY[name]
    check_op(op, [data.draw(values)])


BINARY = {
    "add": lambda v: v[0] + v[1],
    "sub": lambda v: v[0] - v[1],
    "mul": lambda v: v[0] * v[1],
    "div": lambda v: v[0] / v[1],
    "radd": lambda v: 2.5 + v[0] + v[1] * 0,
    "rsub": lambda v: 2.5 - v[0] * v[1],
    "rmul": lambda v: 2.5 * v[0] * v[1],
    "rtruediv": lambda v: 2.5 / v[1] + v[0],
}


@pytest.mark.parametrize("name", list(BINARY))
@given(x=finite(-3, 3), y=finite(-3, 3).filter(lambda t: abs(t) > 0.2))
def test_binary_operation_matches_central_differences(name, x, y):
    check_op(BINARY[name], [x, y])


@given(x=finite(0.2, 3), c=finite(-3, 3))
def test_power_matches_central_differences(x, c):
    check_op(lambda v: v[0] ** c, [x])


@given(x=finite(-2, 2).filter(lambda t: abs(t) > 0.1), c=st.integers(-3, 4))
def test_power_with_integer_exponent_and_negative_base(x, c):
    check_op(lambda v: v[0] ** c, [x])
    assert (Value(x) ** c).data == pytest.approx(x**c, rel=1e-15)


@given(x=finite(-800, 800))
def test_sigmoid_is_stable_for_extreme_inputs(x):
    s = Value(x).sigmoid()
    assert 0.0 <= s.data <= 1.0 and math.isfinite(s.local[0])


# ---------------------------------------------------------------- random graphs with shared nodes

SMOOTH = {
    "add": (2, lambda a, b: a + b),
    "sub": (2, lambda a, b: a - b),
    "mul": (2, lambda a, b: a * b),
    "tanh": (1, lambda a: a.tanh()),
    "sigmoid": (1, lambda a: a.sigmoid()),
    "square": (1, lambda a: a**2),
    "exp_tanh": (1, lambda a: a.tanh().exp()),
}


@st.composite
def random_programs(draw):
    """A list of (op name, argument indices) that uses earlier nodes, often the same ones again."""
    n_inputs = draw(st.integers(1, 3))
    steps = []
    for t in range(draw(st.integers(1, 12))):
        name = draw(st.sampled_from(sorted(SMOOTH)))
        arity = SMOOTH[name][0]
        args = tuple(draw(st.integers(0, n_inputs + t - 1)) for _ in range(arity))
        steps.append((name, args))
    x = draw(st.lists(finite(-1.5, 1.5), min_size=n_inputs, max_size=n_inputs))
    return steps, x


def run_program(steps, leaves):
    nodes = list(leaves)
    for name, args in steps:
        nodes.append(SMOOTH[name][1](*(nodes[i] for i in args)))
    return nodes[-1]


@given(random_programs())
def test_random_graphs_with_shared_nodes_match_central_differences(program):
    steps, x = program
    out = run_program(steps, [Value(t) for t in x])
    assume(abs(out.data) < 1e6)
    check_op(lambda v: run_program(steps, v), x)


@given(random_programs())
def test_forward_mode_equals_reverse_mode_on_random_graphs(program):
    steps, x = program
    _, rev = value_and_grad(lambda v: run_program(steps, v), x)
    for i in range(len(x)):
        duals = [Dual(t, 1.0 if j == i else 0.0) for j, t in enumerate(x)]
        fwd = run_program(steps, duals).tangent
        assert relative_error(fwd, rev[i]) < 1e-12


# ---------------------------------------------------------------- nodes used several times


@given(x=finite(-2, 2))
def test_a_leaf_used_several_times_receives_every_contribution(x):
    v = Value(x)
    f = v * v * v + 2 * v  # v is a parent four times
    f.backward()
    assert v.grad == pytest.approx(3 * x**2 + 2, rel=1e-14, abs=1e-14)


@given(x=finite(-1.5, 1.5))
def test_an_interior_node_used_several_times(x):
    v = Value(x)
    h = v.exp()  # interior node, used three times
    f = h * h * h
    f.backward()
    assert v.grad == pytest.approx(3 * math.exp(3 * x), rel=1e-13)
    assert h.grad == pytest.approx(3 * math.exp(2 * x), rel=1e-13)


def test_deep_chain_of_ten_thousand_nodes_has_no_recursion_limit():
    v0 = Value(1.0)
    v = v0
    for _ in range(10_000):
        v = v + 1e-4 * v  # each step uses the previous node twice
    assert len(topological_order(v)) == 30_001
    v.backward()
    assert v0.grad == pytest.approx((1 + 1e-4) ** 10_000, rel=1e-12)
    t = Value(0.5)
    u = t
    for _ in range(10_000):
        u = u.tanh()
    u.backward()  # a plain chain: the product of 10^4 local derivatives
    expected, z = 1.0, 0.5
    for _ in range(10_000):
        z = math.tanh(z)
        expected *= 1 - z * z
    assert t.grad == pytest.approx(expected, rel=1e-10)


@given(random_programs())
def test_topological_order_puts_parents_first_and_each_node_once(program):
    steps, x = program
    out = run_program(steps, [Value(t) for t in x])
    order = topological_order(out)
    position = {id(n): i for i, n in enumerate(order)}
    assert len(position) == len(order) and order[-1] is out
    assert all(position[id(p)] < position[id(n)] for n in order for p in n.parents)


# ---------------------------------------------------------------- calling backward twice

@given(random_programs())
def test_backward_twice_gives_the_same_gradients(program):
    steps, x = program
    leaves = [Value(t) for t in x]
    out = run_program(steps, leaves)
    out.backward()
    first = [n.grad for n in topological_order(out)]
    out.backward()
    assert [n.grad for n in topological_order(out)] == first
    assert out.grad == 1.0


def test_backward_resets_grads_and_a_shared_leaf_holds_the_last_roots_gradient():
    x = Value(2.0)
    f, g = x * x, 3 * x
    f.backward()
    assert x.grad == 4.0
    g.backward()
    assert x.grad == 3.0  # not 7: backward zeroes the graph of g first
    (f + g).backward()
    assert x.grad == 7.0  # the gradient of a sum: build the sum
    assert backward(f) is None and x.grad == 4.0


# ---------------------------------------------------------------- input validation

@pytest.mark.parametrize(
    "bad, error, match",
    [
        (lambda: Value(1.0) + "a", TypeError, "unsupported operand"),
        (lambda: "a" * Value(1.0), TypeError, "can't multiply|unsupported operand"),
        (lambda: Value(1.0) - [1.0], TypeError, "unsupported operand"),
        (lambda: Value([1.0]), TypeError, "real number"),
        (lambda: Value(Value(1.0)), TypeError, "real number"),
        (lambda: Value(float("nan")), ValueError, "finite"),
        (lambda: Value(1.0, parents=(Value(1.0),)), ValueError, "local derivatives"),
        (lambda: Value(0.0).log(), ValueError, "positive"),
        (lambda: Value(-1.0).log(), ValueError, "positive"),
        (lambda: Value(800.0).exp(), ValueError, "overflows"),
        (lambda: Value(1e200) * Value(1e200), ValueError, "finite"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, "division by zero"),
        (lambda: 1.0 / Value(0.0), ZeroDivisionError, "division by zero"),
        (lambda: Value(-2.0) ** 0.5, ValueError, "integer exponent"),
        (lambda: Value(0.0) ** 0.5, ValueError, "infinite"),
        (lambda: Value(2.0) ** Value(2.0), TypeError, "exponent"),
        (lambda: Value(2.0) ** "2", TypeError, "unsupported operand"),
        (lambda: Dual(1.0) + "a", TypeError, "unsupported operand"),
        (lambda: Dual("1"), TypeError, "real number"),
        (lambda: Dual(1.0, float("inf")), ValueError, "finite"),
        (lambda: Dual(0.0).log(), ValueError, "positive"),
        (lambda: Dual(1.0) / 0.0, ZeroDivisionError, "division by zero"),
        (lambda: Dual(2.0) ** Dual(2.0), TypeError, "exponent"),
        (lambda: topological_order(1.0), TypeError, "Value"),
        (lambda: value_and_grad(lambda v: v[0], np.zeros((2, 2))), ValueError, "1-D"),
        (lambda: value_and_grad(lambda v: 1.0, [1.0]), TypeError, "must return a Value"),
        (lambda: derivative(lambda t: 1.0, 1.0), TypeError, "must return a Dual"),
    ],
)
def test_bad_input_gets_a_clear_error(bad, error, match):
    with pytest.raises(error, match=match):
        bad()


def test_numbers_of_every_real_type_are_accepted():
    x = Value(2.0)
    for c in (3, 3.0, np.float64(3), np.float32(3), np.int64(3)):
        assert (x + c).data == 5.0 and (c * x).data == 6.0 and (c - x).data == 1.0
    assert (Dual(2.0, 1.0) * np.float64(3)).tangent == 3.0


# ---------------------------------------------------------------- dual numbers

DUAL_OPS = {
    "exp": (lambda t: t.exp(), finite(-5, 5)),
    "log": (lambda t: t.log(), finite(0.05, 20)),
    "tanh": (lambda t: t.tanh(), finite(-4, 4)),
    "sigmoid": (lambda t: t.sigmoid(), finite(-30, 30)),
    "relu": (lambda t: t.relu(), finite(-3, 3).filter(lambda t: abs(t) > 1e-3)),
    "step": (lambda t: t.step() * t, finite(-3, 3).filter(lambda t: abs(t) > 1e-3)),
    "power": (lambda t: t**2.5 - t**-1, finite(0.2, 3)),
    "arith": (lambda t: (3 - t) * t / (t + 4) - 1 / (t + 4) + (-t), finite(-3, 3)),
}


@pytest.mark.parametrize("name", list(DUAL_OPS))
@given(data=st.data())
def test_dual_numbers_match_reverse_mode_and_central_differences(name, data):
    fn, values = DUAL_OPS[name]
    x = data.draw(values)
    val, fwd = derivative(fn, x)
    rev_val, rev = value_and_grad(lambda v: fn(v[0]), [x])
    assert val == rev_val
    assert relative_error(fwd, rev[0]) < 1e-13
    check_op(lambda v: fn(v[0]), [x])


# ---------------------------------------------------------------- graph tools

def test_graph_size_counts_nodes_operations_and_edges():
    a = Value(1.0)
    h = a.exp()
    f = h * h + a
    assert graph_size(f) == GraphSize(nodes=4, leaves=1, operations=3, edges=5)


@given(random_programs())
def test_graph_layout_places_every_node_right_of_its_parents(program):
    steps, x = program
    out = run_program(steps, [Value(t) for t in x])
    pos = graph_layout(out)
    assert set(map(id, pos)) == set(map(id, topological_order(out)))
    assert all(pos[p][0] < pos[n][0] for n in pos for p in n.parents)
    cells = [(round(c), r) for c, r in pos.values()]
    assert len(set(cells)) == len(cells)  # no two boxes on the same spot


def test_draw_graph_draws_one_box_per_node():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    net = MLP((2, 2, 1), hidden="sigmoid", output="identity", seed=3)
    graph = value_graph(net, [[1.0, -0.5]], [[1.0]])
    graph.loss.backward()
    fig, ax = plt.subplots()
    draw_graph(graph.loss, ax)
    boxes = [t for t in ax.texts if t.get_text()]  # the arrows are empty annotations
    assert len(boxes) == graph_size(graph.loss).nodes
    plt.close(fig)


# ---------------------------------------------------------------- the bridge to the MLP

@st.composite
def problems(draw, combos=COMBOS, max_width=4, max_depth=3, max_n=5):
    """A random small network (random biases) with data that suits its loss."""
    hidden, output, loss = draw(st.sampled_from(combos))
    sizes = draw(st.lists(st.integers(1, max_width), min_size=2, max_size=max_depth + 1))
    if output == "softmax":
        sizes[-1] = max(sizes[-1], 2)
    seed = draw(seeds())
    rng = np.random.default_rng(seed)
    net = MLP(tuple(sizes), hidden=hidden, output=output, seed=seed % 2**31)
    net.biases = [rng.normal(scale=0.5, size=b.shape) for b in net.biases]
    N = draw(st.integers(1, max_n))
    X = rng.normal(size=(N, sizes[0]))
    if loss == "cross_entropy":
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=N)]
    elif loss == "binary_cross_entropy":
        Y = rng.uniform(size=(N, sizes[-1]))
    else:
        Y = rng.normal(size=(N, sizes[-1]))
    return net, X, Y, loss


@given(problems())
def test_engine_equals_matrix_backprop(problem):
    net, X, Y, loss = problem
    graph = value_graph(net, X, Y, loss)
    graph.loss.backward()
    assert relative_error(graph.loss.data, net.loss(X, Y, loss)) <= 1e-12
    assert relative_error(flat(*graph.gradients()), flat(*net.gradients(X, Y, loss))).max() <= 1e-12
    assert np.array_equal(flat(*engine_gradients(net, X, Y, loss)), flat(*graph.gradients()))


@given(problems())
def test_engine_deltas_give_the_matrix_formulas(problem):
    net, X, Y, loss = problem
    graph = value_graph(net, X, Y, loss)
    graph.loss.backward()
    trace = net.forward_trace(X)
    dW, db = net.gradients(X, Y, loss)
    for k in range(1, net.m + 1):
        Delta = graph.delta(k)
        assert Delta.shape == (X.shape[0], net.sizes[k])
        assert relative_error(trace.O[k - 1].T @ Delta, dW[k - 1]).max() <= 1e-12
        assert relative_error(Delta.sum(axis=0), db[k - 1]).max() <= 1e-12


@given(problems(max_width=3, max_n=3))
def test_forward_mode_equals_reverse_mode_on_networks(problem):
    net, X, Y, loss = problem
    fwd = flat(*forward_mode_gradients(net, X, Y, loss))
    assert relative_error(fwd, flat(*engine_gradients(net, X, Y, loss))).max() <= 1e-12


def test_scalar_loss_on_constant_dual_numbers_is_the_plain_forward_pass():
    net = MLP((2, 3, 1), hidden="tanh", seed=0)
    X, Y = np.array([[0.5, -1.0], [1.0, 2.0]]), np.array([[0.3], [-0.2]])
    W = [[[Dual(w) for w in row] for row in Wk] for Wk in net.weights]
    b = [[Dual(v) for v in bk] for bk in net.biases]
    E, A = scalar_loss(W, b, X.tolist(), Y.tolist(), "tanh", "identity", "squared")
    assert isinstance(E, Dual) and E.tangent == 0.0
    assert E.primal == pytest.approx(net.loss(X, Y), rel=1e-14)
    A1 = np.array([[a.primal for a in row] for row in A[1]])
    assert np.allclose(A1, net.forward_trace(X).A[1], rtol=1e-14, atol=0)


def test_integer_labels_are_one_hot_targets():
    net = MLP((2, 3, 3), hidden="relu", output="softmax", seed=1)
    X = np.array([[0.5, -1.0], [1.0, 2.0]])
    by_label = engine_gradients(net, X, np.array([2, 0]), "cross_entropy")
    by_row = engine_gradients(net, X, np.eye(3)[[2, 0]], "cross_entropy")
    assert np.array_equal(flat(*by_label), flat(*by_row))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(X=np.zeros((2, 3))), ValueError, r"shape \(N, 2\)"),
        (dict(X=np.zeros((0, 2)), Y=np.zeros((0, 1))), ValueError, "N >= 1"),
        (dict(Y=np.zeros((2, 2))), ValueError, r"shape \(2, 1\)"),
        (dict(X=np.array([[np.nan, 1.0], [0.0, 0.0]])), ValueError, "NaN"),
        (dict(X=np.array([["a", "b"]])), TypeError, "numbers"),
        (dict(loss="hinge"), ValueError, "unknown loss"),
        (dict(loss=3), TypeError, "loss must be a str"),
        (dict(loss="cross_entropy"), ValueError, "softmax"),
        (dict(loss="binary_cross_entropy"), ValueError, "sigmoid"),
    ],
)
def test_value_graph_rejects_bad_problems(kwargs, error, match):
    net = MLP((2, 3, 1), seed=0)
    args = dict(X=np.zeros((2, 2)), Y=np.zeros((2, 1)), loss="squared") | kwargs
    with pytest.raises(error, match=match):
        value_graph(net, args["X"], args["Y"], args["loss"])


def test_bridge_rejects_non_networks_and_bad_layers():
    with pytest.raises(TypeError, match="MLP"):
        engine_gradients(object(), np.zeros((1, 2)), np.zeros((1, 1)))
    net = MLP((2, 3, 1), seed=0)
    with pytest.raises(ValueError, match="layer number"):
        value_graph(net, np.zeros((1, 2)), np.zeros((1, 1))).delta(3)


# ---------------------------------------------------------------- the independent oracle: HIPS autograd

def autograd_loss(params, X, Y, hidden, output, loss):
    """E with the matrix formulas in autograd.numpy; params = [W^1, b^1, ..., W^m, b^m]."""
    anp = pytest.importorskip("autograd.numpy")
    from autograd.scipy.special import logsumexp

    g = {"identity": lambda a: a, "sigmoid": lambda a: 0.5 * (anp.tanh(a / 2) + 1),
         "tanh": anp.tanh, "relu": lambda a: anp.maximum(a, 0.0),
         "step": lambda a: anp.where(a > 0, 1.0, 0.0)}
    H, m = X, len(params) // 2
    for k in range(1, m + 1):
        A = anp.dot(H, params[2 * k - 2]) + params[2 * k - 1]
        if k < m:
            H = g[hidden](A)
    N = X.shape[0]
    if loss == "cross_entropy":
        return -anp.sum(Y * (A - logsumexp(A, axis=1, keepdims=True))) / N
    if loss == "binary_cross_entropy":
        return anp.sum(anp.logaddexp(0.0, A) - Y * A) / N
    Yhat = anp.exp(A - logsumexp(A, axis=1, keepdims=True)) if output == "softmax" else g[output](A)
    return anp.sum((Yhat - Y) ** 2) / (2 * N)


@pytest.mark.parametrize("combo", COMBOS, ids=["-".join(c) for c in COMBOS])
@settings(max_examples=12)  # 35 combinations x 12 random networks
@given(data=st.data())
def test_engine_and_matrix_backprop_agree_with_autograd(combo, data):
    autograd = pytest.importorskip("autograd")
    net, X, Y, loss = data.draw(problems(combos=[combo]))
    hidden, output = net.hidden, net.output
    params = [p for pair in zip(net.weights, net.biases, strict=True) for p in pair]
    value = autograd_loss(params, X, Y, hidden, output, loss)
    oracle = np.concatenate([p.ravel() for p in autograd.grad(autograd_loss)(
        params, X, Y, hidden, output, loss)])
    assert relative_error(value, net.loss(X, Y, loss)) <= 1e-10
    assert relative_error(flat(*net.gradients(X, Y, loss)), oracle).max() <= 1e-10
    assert relative_error(flat(*engine_gradients(net, X, Y, loss)), oracle).max() <= 1e-10
