"""Tests of backprop_book.gradcheck: the referee every other test relies on."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import float_arrays, shapes

from backprop_book.gradcheck import (
    TINY,
    TOL,
    GradCheck,
    check_gradient,
    numerical_gradient,
    relative_error,
)

# Functions with known gradients: (name, f, grad f). Each is smooth on the sampled range [-3, 3] and,
# like the book's error functions, an average, so its values are of order one (the referee's accuracy
# assumption, see the chapter).
KNOWN = {
    "mean of cubes": (lambda x: np.mean(x**3), lambda x: 3 * x**2 / x.size),
    "sin times exp": (
        lambda x: np.mean(np.sin(x) * np.exp(x)),
        lambda x: (np.cos(x) + np.sin(x)) * np.exp(x) / x.size,
    ),
    "log-sum-exp": (
        lambda x: np.log(np.sum(np.exp(x))),
        lambda x: np.exp(x) / np.sum(np.exp(x)),
    ),
    "squared norm": (lambda x: 0.5 * np.mean(x * x), lambda x: x / x.size),
    "tanh of mean": (
        lambda x: np.tanh(np.mean(x)),
        lambda x: np.full_like(x, (1 - np.tanh(np.mean(x)) ** 2) / x.size),
    ),
}


@given(name=st.sampled_from(sorted(KNOWN)), x=float_arrays(shapes()))
def test_known_gradients_pass_the_tight_bound(name, x):
    f, grad = KNOWN[name]
    result = check_gradient(f, grad, x)
    assert result.passed(TOL), f"{name}: {result}"


@given(x=float_arrays(shapes()))
def test_numerical_gradient_restores_x_and_keeps_shape(x):
    before = x.copy()
    g = numerical_gradient(lambda v: np.sum(np.sin(v)), x)
    assert g.shape == x.shape and g.dtype == x.dtype
    assert np.array_equal(x, before)


@given(
    name=st.sampled_from(sorted(KNOWN)),
    x=float_arrays(shapes()),
    wrong=st.sampled_from(["sign", "factor 2", "off by 1e-3", "swapped entries"]),
)
def test_a_wrong_derivative_is_caught(name, x, wrong):
    f, grad = KNOWN[name]
    g = grad(x)
    if wrong == "sign":
        # Flip the sign of the largest entry only: a local mistake.
        bad = lambda v: np.where(np.arange(v.size).reshape(v.shape) == np.argmax(np.abs(g)), -grad(v), grad(v))
        if np.max(np.abs(g)) < 1e-6:
            return  # the sign of zero is not a mistake
    elif wrong == "factor 2":
        bad = lambda v: 2 * grad(v)
        if np.max(np.abs(g)) < 1e-6:
            return
    elif wrong == "off by 1e-3":
        bad = lambda v: grad(v) + 1e-3
    else:
        if x.size < 2 or np.max(np.abs(g.ravel()[0] - g.ravel()[-1])) < 1e-6:
            return
        bad = lambda v: np.flip(grad(v).ravel()).reshape(v.shape)
    result = check_gradient(f, bad, x)
    assert not result.passed(TOL), f"{name}/{wrong} was not caught: {result}"


def test_the_report_points_at_the_wrong_entry():
    x = np.linspace(-1, 1, 12).reshape(3, 4)

    def grad(v):
        g = np.cos(v)
        g[2, 1] += 0.5  # one wrong entry
        return g

    result = check_gradient(lambda v: np.sum(np.sin(v)), grad, x)
    assert result.index == (2, 1)
    assert result.max_rel_error > 0.1
    assert isinstance(result, GradCheck) and "2, 1" in str(result)


def test_central_difference_error_is_second_order():
    # f = x^3: the central difference is off by exactly h^2 (in exact arithmetic): the O(h^2) claim.
    x = np.array([0.3])
    for h in (1e-2, 1e-3):
        g = numerical_gradient(lambda v: float(v[0] ** 3), x, h=h)[0]
        assert abs((g - 3 * 0.3**2) - h**2) < 1e-9


@given(a=st.floats(-1e6, 1e6), n=st.floats(-1e6, 1e6))
def test_relative_error_properties(a, n):
    r = float(relative_error(a, n))
    assert r >= 0
    assert r == float(relative_error(n, a))
    assert r <= 2.0 + 1e-15
    if a == n:
        assert r == 0


def test_relative_error_uses_the_floor_for_tiny_values():
    assert TINY == 1e-2
    assert relative_error(1e-12, 3e-11) == pytest.approx(2.9e-11 / TINY)
    assert relative_error(1.0, 2.0) == pytest.approx(0.5)


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: numerical_gradient(np.sum, [1.0, 2.0]), TypeError, "numpy array"),
        (lambda: numerical_gradient(np.sum, np.array([1, 2])), TypeError, "floating dtype"),
        (lambda: numerical_gradient(np.sum, np.array([], dtype=float)), ValueError, "empty"),
        (lambda: numerical_gradient(np.sum, np.array([np.nan])), ValueError, "NaN"),
        (lambda: numerical_gradient(np.sum, np.array([1.0]), h=0.0), ValueError, "h must be"),
        (lambda: numerical_gradient(lambda v: v, np.array([1.0, 2.0])), ValueError, "scalar"),
        (lambda: numerical_gradient(lambda v: np.inf if v[0] > 0 else 0.0, np.array([0.0])), ValueError, "non-finite"),
        (lambda: check_gradient(np.sum, lambda v: np.ones(3), np.ones(2)), ValueError, "shape of x"),
        (lambda: check_gradient(np.sum, lambda v: v * np.nan, np.ones(2)), ValueError, "grad_f"),
        (lambda: relative_error(np.ones(2), np.ones(3)), ValueError, "same shape"),
        (lambda: relative_error(1.0, 1.0, tiny=0.0), ValueError, "tiny"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_read_only_input_is_refused():
    x = np.ones(3)
    x.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        numerical_gradient(np.sum, x)
