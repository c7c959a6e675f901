"""Tests for backprop_book.cost: multiply-add and memory counts, the timing helper, log-log slopes."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import layer_sizes, seeds

from backprop_book.backprop import _backward_into, _forward_into, _Workspace, check_data
from backprop_book.cost import Timing, loglog_slope, multiply_adds, stored_numbers, time_calls
from backprop_book.mlp import MLP


@given(layer_sizes(1, 4, 9), st.integers(1, 7), seeds())
def test_multiply_adds_count_the_products_the_package_runs(sizes, N, seed):
    net = MLP(sizes, hidden="sigmoid", output="identity", seed=seed % 1000)
    X, Y, loss_fn = check_data(net, np.ones((N, sizes[0])), np.zeros((N, sizes[-1])))
    ws = _Workspace(net, N)
    counted = []
    matmul = np.matmul

    def counting(a, b, out=None):
        counted.append(a.shape[0] * a.shape[1] * b.shape[1])
        return matmul(a, b, out=out)

    np.matmul = counting
    try:
        _forward_into(net, ws, X)
        forward = sum(counted)
        _backward_into(net, ws, Y, loss_fn)
    finally:
        np.matmul = matmul
    assert multiply_adds(sizes, N) == (forward, sum(counted) - forward)


@given(layer_sizes(1, 4, 9), st.integers(1, 7))
def test_stored_numbers_match_a_real_trace(sizes, N):
    net = MLP(sizes, hidden="tanh", output="sigmoid", seed=0)
    trace = net.forward_trace(np.zeros((N, sizes[0])))
    arrays = {id(a): a for a in trace.A + trace.O}
    assert stored_numbers(sizes, N) == sum(a.size for a in arrays.values())


@pytest.mark.parametrize(
    "sizes, N, error",
    [((3,), 1, ValueError), ((3, 0, 1), 1, ValueError), ((2, 1), 0, ValueError),
     ((2, 1.5), 1, TypeError), ((2, 1), True, ValueError)],
)
def test_counts_refuse_bad_sizes(sizes, N, error):
    # The same rules (and error types) as MLP(sizes): a non-integer size is a TypeError.
    with pytest.raises(error, match="sizes|N"):
        multiply_adds(sizes, N)
    with pytest.raises(error, match="sizes|N"):
        stored_numbers(sizes, N)


@given(st.integers(1, 5), st.integers(1, 4), st.integers(0, 3))
def test_time_calls_runs_each_function_as_told(rounds, number, warmup):
    calls = {"a": 0, "b": 0}
    order = []

    def make(name):
        def f():
            calls[name] += 1
            order.append(name)
        return f

    out = time_calls({"a": make("a"), "b": make("b")}, rounds=rounds, number=number, warmup=warmup)
    assert calls == {"a": warmup + rounds * number, "b": warmup + rounds * number}
    timed = order[2 * warmup:]
    assert timed == (["a"] * number + ["b"] * number) * rounds  # interleaved rounds
    for t in out.values():
        assert isinstance(t, Timing) and len(t.samples) == rounds
        assert min(t.samples) <= t.q1 <= t.median <= t.q3 <= max(t.samples)
        assert t.median == float(np.median(t.samples))


@pytest.mark.parametrize("kwargs, error", [(dict(fns={}), TypeError), (dict(fns={"a": 3}), TypeError),
                                           (dict(rounds=0), ValueError), (dict(number=1.5), ValueError),
                                           (dict(warmup=-1), ValueError)])
def test_time_calls_refuses_bad_settings(kwargs, error):
    args = dict(fns={"a": lambda: None}) | kwargs
    with pytest.raises(error):
        time_calls(**args)


@given(st.floats(-3, 3), st.floats(1e-3, 1e3), st.lists(st.floats(1e-2, 1e6), min_size=2, max_size=8, unique=True))
def test_loglog_slope_recovers_a_power_law(s, c, x):
    x = np.array(x)
    if np.ptp(np.log(x)) < 1e-3:
        return
    assert loglog_slope(x, c * x**s) == pytest.approx(s, abs=1e-6)


@pytest.mark.parametrize("x, y", [([1.0], [1.0]), ([1.0, 2.0], [1.0]), ([1.0, -2.0], [1.0, 2.0]),
                                  ([[1.0, 2.0]], [[1.0, 2.0]]), ([1.0, 2.0], [0.0, 1.0])])
def test_loglog_slope_refuses_bad_input(x, y):
    with pytest.raises(ValueError, match="positive"):
        loglog_slope(x, y)
