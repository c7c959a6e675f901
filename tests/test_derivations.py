"""The derivation chapter's formulas: each delta formula equals the symbolic derivative exactly (SymPy,
depth-2 and depth-3 networks with symbolic weights), and matches central differences on random networks."""

from types import SimpleNamespace

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy.core.function import AppliedUndef

from backprop_book.gradcheck import TOL, numerical_gradient, relative_error
from backprop_book.losses import get_loss, one_hot
from backprop_book.mlp import MLP

# ---------------------------------------------------------------- symbolic networks

g = sp.Function("g")
g_o = sp.Function("g_o")
z = sp.Symbol("z")


def sigma(t):
    return 1 / (1 + sp.exp(-t))


def sym_softmax(row):
    e = row.applyfunc(sp.exp)
    return e / sum(e)


def squared(o, y):
    return sp.Rational(1, 2) * sum((o[j] - y[j]) ** 2 for j in range(len(y)))


def cross_entropy(o, y):
    return -sum(y[j] * sp.log(o[j]) for j in range(len(y)))


def binary_cross_entropy(o, y):
    return -sum(y[j] * sp.log(o[j]) + (1 - y[j]) * sp.log(1 - o[j]) for j in range(len(y)))


def network(sizes, hidden=g, output=None, error=squared):
    """Symbolic weights W[k][i-1, j-1] = w_ij^k, biases, input, target; A[k], O[k] and E."""
    m = len(sizes) - 1
    out = output or (lambda row: row)
    net = SimpleNamespace(sizes=sizes, m=m, error=error)
    net.W = {k: sp.Matrix(sizes[k - 1], sizes[k], lambda i, j, k=k: sp.Symbol(f"w^{k}_{i + 1}{j + 1}"))
             for k in range(1, m + 1)}
    net.b = {k: sp.Matrix(1, sizes[k], lambda _, j, k=k: sp.Symbol(f"b^{k}_{j + 1}")) for k in range(1, m + 1)}
    net.x = sp.Matrix(1, sizes[0], lambda _, i: sp.Symbol(f"x_{i + 1}"))
    net.y = sp.Matrix(1, sizes[m], lambda _, j: sp.Symbol(f"y_{j + 1}"))
    net.layer = lambda k: out if k == m else (lambda row: row.applyfunc(hidden))
    net.A, net.O = [net.x], [net.x]
    for k in range(1, m + 1):
        net.A.append(net.O[k - 1] * net.W[k] + net.b[k])
        net.O.append(net.layer(k)(net.A[k]))
    net.E = error(net.O[m], net.y)
    return net


def delta_by_definition(net, k):
    """dE/da_j^k: differentiate E as a function of free summed inputs of layer k, then substitute."""
    s = sp.Matrix(1, net.sizes[k], lambda _, j: sp.Dummy(f"s{j}"))
    o = net.layer(k)(s)
    for layer in range(k + 1, net.m + 1):
        o = net.layer(layer)(o * net.W[layer] + net.b[layer])
    E_k = net.error(o, net.y)
    back = dict(zip(s, net.A[k], strict=True))
    return [sp.diff(E_k, s[j]).subs(back, simultaneous=True) for j in range(net.sizes[k])]


def is_zero(expr):
    expr = sp.sympify(expr).doit()
    if expr.has(AppliedUndef):
        return sp.expand(expr) == 0
    return sp.cancel(expr) == 0


def g_prime(fn, arg):
    return sp.diff(fn(z), z).subs(z, arg)


GENERAL = [(2, 3, 1), (2, 2, 2, 2)]  # depth 2 and depth 3, arbitrary activation g


@pytest.fixture(scope="module", params=GENERAL, ids=lambda s: f"sizes{s}")
def general_net(request):
    net = network(request.param)
    net.delta = {k: delta_by_definition(net, k) for k in range(1, net.m + 1)}
    return net


# ---------------------------------------------------------------- the equations, symbolically


def test_weight_gradient_is_delta_times_input(general_net):
    """eq-deriv-chain and eq-deriv-local: dE/dw_ij^k = delta_j^k da_j^k/dw_ij^k = delta_j^k o_i^(k-1)."""
    net = general_net
    for k in range(1, net.m + 1):
        for i in range(net.sizes[k - 1]):
            for j in range(net.sizes[k]):
                w = net.W[k][i, j]
                dE_dw = sp.diff(net.E, w)
                assert is_zero(dE_dw - net.delta[k][j] * sp.diff(net.A[k][j], w))
                assert is_zero(dE_dw - net.delta[k][j] * net.O[k - 1][i])
                for j2 in range(net.sizes[k]):
                    assert is_zero(sp.diff(net.A[k][j2], w) - (net.O[k - 1][i] if j2 == j else 0))
        for j in range(net.sizes[k]):
            assert is_zero(sp.diff(net.E, net.b[k][j]) - net.delta[k][j])


def test_output_delta_identity(general_net):
    """eq-deriv-output: delta^m = yhat - y for the identity output and the squared error."""
    net = general_net
    for j in range(net.sizes[net.m]):
        assert is_zero(net.delta[net.m][j] - (net.O[net.m][j] - net.y[j]))


@pytest.mark.parametrize("sizes", [(2, 2, 1), (2, 2, 2, 2)])
def test_output_delta_any_output_function(sizes):
    """eq-deriv-output: delta^m = g_o'(a^m)(yhat - y) for an arbitrary output function g_o."""
    net = network(sizes, output=lambda row: row.applyfunc(g_o))
    d = delta_by_definition(net, net.m)
    for j in range(sizes[-1]):
        assert is_zero(d[j] - g_prime(g_o, net.A[net.m][j]) * (net.O[net.m][j] - net.y[j]))


def test_hidden_delta_any_g(general_net):
    """eq-deriv-hidden: delta_j^k = g'(a_j^k) sum_l w_jl^(k+1) delta_l^(k+1)."""
    net = general_net
    for k in range(1, net.m):
        for j in range(net.sizes[k]):
            rhs = g_prime(g, net.A[k][j]) * sum(
                net.W[k + 1][j, nxt] * net.delta[k + 1][nxt] for nxt in range(net.sizes[k + 1]))
            assert is_zero(net.delta[k][j] - rhs)


@pytest.mark.parametrize("sizes", [(2, 2, 1), (1, 2, 2, 1)])
def test_hidden_delta_sigmoid(sizes):
    """eq-deriv-hidden-sigmoid with the sigmoid written out: delta = o(1 - o) sum w delta."""
    net = network(sizes, hidden=sigma)
    delta = {k: delta_by_definition(net, k) for k in range(1, net.m + 1)}
    for k in range(1, net.m):
        for j in range(sizes[k]):
            o = net.O[k][j]
            rhs = o * (1 - o) * sum(net.W[k + 1][j, nxt] * delta[k + 1][nxt] for nxt in range(sizes[k + 1]))
            assert is_zero(delta[k][j] - rhs)


def test_sigmoid_derivative():
    """eq-deriv-sigmoid: sigma' = sigma (1 - sigma)."""
    assert sp.simplify(sp.diff(sigma(z), z) - sigma(z) * (1 - sigma(z))) == 0


@pytest.mark.parametrize("sizes", [(2, 2, 3), (1, 2, 2, 2)])
def test_softmax_cross_entropy_delta(sizes):
    """eq-deriv-softmax-ce: delta^m = yhat - y when the targets sum to 1."""
    net = network(sizes, hidden=sigma, output=sym_softmax, error=cross_entropy)
    on_simplex = {net.y[-1]: 1 - sum(net.y[:-1])}
    d = delta_by_definition(net, net.m)
    for j in range(sizes[-1]):
        assert is_zero((d[j] - (net.O[net.m][j] - net.y[j])).subs(on_simplex))


@pytest.mark.parametrize("sizes", [(2, 2, 2), (1, 2, 2, 1)])
def test_sigmoid_binary_cross_entropy_delta(sizes):
    net = network(sizes, hidden=sigma, output=lambda row: row.applyfunc(sigma), error=binary_cross_entropy)
    d = delta_by_definition(net, net.m)
    for j in range(sizes[-1]):
        assert is_zero(d[j] - (net.O[net.m][j] - net.y[j]))


def test_the_symbolic_check_can_fail(general_net):
    """Drop g' from the hidden formula, or the 1/2 from the squared error: the difference is not 0."""
    net = general_net
    k = net.m - 1
    wrong = sum(net.W[k + 1][0, nxt] * net.delta[k + 1][nxt] for nxt in range(net.sizes[k + 1]))
    assert not is_zero(net.delta[k][0] - wrong)
    doubled = network(net.sizes, error=lambda o, y: sum((o[j] - y[j]) ** 2 for j in range(len(y))))
    d = delta_by_definition(doubled, doubled.m)
    assert not is_zero(d[0] - (doubled.O[doubled.m][0] - doubled.y[0]))


def test_softmax_delta_needs_targets_summing_to_one():
    """Without sum(y) = 1, delta^m = yhat - y is false: the condition in the proposition matters."""
    net = network((1, 2), output=sym_softmax, error=cross_entropy)
    d = delta_by_definition(net, 1)
    assert not is_zero(d[0] - (net.O[1][0] - net.y[0]))


# ---------------------------------------------------------------- the equations, numerically


def forward_from(net, k, A_k):
    out = (net.g_o if k == net.m else net.g).f(A_k)
    for layer in range(k + 1, net.m + 1):
        out = (net.g_o if layer == net.m else net.g).f(out @ net.weights[layer - 1] + net.biases[layer - 1])
    return out


def numerical_delta(net, trace, Y, k, loss):
    return numerical_gradient(lambda A_k: loss.value(forward_from(net, k, A_k), Y), trace.A[k].copy())


def max_rel(a, n):
    return float(np.max(relative_error(a, n)))


network_shapes = st.lists(st.integers(1, 4), min_size=3, max_size=5).map(tuple)


@settings(max_examples=25)
@given(sizes=network_shapes, hidden=st.sampled_from(["sigmoid", "tanh"]), seed=st.integers(0, 10**6),
       n=st.integers(1, 4))
def test_delta_formulas_match_central_differences(sizes, hidden, seed, n):
    """delta^m = (yhat - y)/N, delta^k = g'(A^k) * (delta^(k+1) W^(k+1)^T), dE/dW^k = O^(k-1)^T delta^k."""
    rng = np.random.default_rng(seed)
    net = MLP(sizes, hidden=hidden, output="identity", seed=seed)
    X, Y = rng.normal(size=(n, sizes[0])), rng.normal(size=(n, sizes[-1]))
    loss = get_loss("squared")
    trace = net.forward_trace(X)
    delta = (trace.O[net.m] - Y) / n  # eq-deriv-output, averaged over the batch
    for k in range(net.m, 0, -1):
        assert max_rel(delta, numerical_delta(net, trace, Y, k, loss)) <= TOL
        dW = numerical_gradient(lambda _: loss.value(net.forward(X), Y), net.weights[k - 1])
        assert max_rel(trace.O[k - 1].T @ delta, dW) <= TOL  # eq-deriv-local and eq-deriv-average
        if k > 1:
            delta = net.g.df(trace.A[k - 1]) * (delta @ net.weights[k - 1].T)  # eq-deriv-hidden


@settings(max_examples=25)
@given(sizes=st.lists(st.integers(2, 4), min_size=2, max_size=4).map(tuple), seed=st.integers(0, 10**6))
def test_natural_output_deltas_match_central_differences(sizes, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(3, sizes[0]))
    for output, loss_name in (("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy")):
        net = MLP(sizes, hidden="sigmoid", output=output, seed=seed)
        if output == "softmax":
            Y = one_hot(rng.integers(0, sizes[-1], size=3), sizes[-1])
        else:
            Y = rng.uniform(0, 1, size=(3, sizes[-1]))
        trace = net.forward_trace(X)
        num = numerical_delta(net, trace, Y, net.m, get_loss(loss_name))
        assert max_rel((trace.O[net.m] - Y) / 3, num) <= TOL


def test_sigmoid_derivative_numerically():
    from backprop_book.activations import sigmoid

    zs = np.linspace(-20, 20, 81)
    num = numerical_gradient(lambda v: float(np.sum(sigmoid(v))), zs.copy())
    assert max_rel(sigmoid(zs) * (1 - sigmoid(zs)), num) <= TOL
