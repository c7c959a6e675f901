"""Tests for backprop_book.activations: values, derivatives against numerical gradients, stability."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import away_from, float_arrays, shapes

from backprop_book.activations import (
    ACTIVATIONS,
    Activation,
    get_activation,
    identity,
    identity_prime,
    log_sigmoid,
    log_softmax,
    relu,
    relu_prime,
    sigmoid,
    sigmoid_prime,
    softmax,
    softmax_jacobian,
    step,
    step_prime,
    tanh,
    tanh_prime,
)
from backprop_book.gradcheck import TOL, check_gradient

SMOOTH = [
    (identity, identity_prime),
    (sigmoid, sigmoid_prime),
    (tanh, tanh_prime),
    (log_sigmoid, lambda z: sigmoid(-np.asarray(z))),  # d/dz log sigma(z) = 1 - sigma(z)
]
KINKED = [(relu, relu_prime), (step, step_prime)]
ELEMENTWISE = [identity, identity_prime, step, step_prime, sigmoid, sigmoid_prime, tanh, tanh_prime,
               relu, relu_prime, log_sigmoid]
ROWWISE = [softmax, log_softmax, softmax_jacobian]
STRICT = dict(over="raise", invalid="raise", divide="raise")


def check_elementwise(g, g_prime, z):
    """Worst relative error of g' against central differences of sum(g(v) - g(z)) at v = z."""
    base = g(z.copy())
    return check_gradient(lambda v: np.sum(g(v) - base), g_prime, z)


# ---------------------------------------------------------------- derivatives vs numerical gradients
@pytest.mark.parametrize("g, g_prime", SMOOTH, ids=lambda f: getattr(f, "__name__", "d"))
@given(z=float_arrays(shapes(), -8.0, 8.0))
def test_smooth_derivatives_match_numerical_gradient(g, g_prime, z):
    result = check_elementwise(g, g_prime, z)
    assert result.passed(TOL), result


@pytest.mark.parametrize("g, g_prime", KINKED, ids=["relu", "step"])
@given(z=away_from(float_arrays(shapes(), -8.0, 8.0), points=(0.0,), margin=1e-3))
def test_kinked_derivatives_match_numerical_gradient_away_from_zero(g, g_prime, z):
    result = check_elementwise(g, g_prime, z)
    assert result.passed(TOL), result


@given(z=float_arrays(st.integers(1, 8), -10.0, 10.0), data=st.data())
def test_softmax_jacobian_rows_match_numerical_gradient(z, data):
    i = data.draw(st.integers(0, z.size - 1))
    result = check_gradient(lambda v: softmax(v)[i], lambda v: softmax_jacobian(v)[i], z)
    assert result.passed(TOL), result


@given(z=float_arrays(st.integers(1, 8), -10.0, 10.0), data=st.data())
def test_log_softmax_gradient_is_unit_minus_softmax(z, data):
    i = data.draw(st.integers(0, z.size - 1))
    grad = lambda v: np.eye(v.size)[i] - softmax(v)  # noqa: E731
    result = check_gradient(lambda v: log_softmax(v)[i], grad, z)
    assert result.passed(TOL), result


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@given(data=st.data())
def test_vjp_matches_numerical_gradient(name, data):
    act = ACTIVATIONS[name]
    shape = data.draw(shapes(min_dims=2, max_dims=2, max_side=5))
    arrays = float_arrays(shape, -6.0, 6.0)
    if name in ("relu", "step"):  # kinks: keep the nudges off z = 0
        arrays = away_from(arrays, points=(0.0,), margin=1e-3)
    A = data.draw(arrays)
    G = data.draw(float_arrays(shape, -2.0, 2.0))
    base = act.f(A.copy())
    result = check_gradient(lambda v: np.sum(G * (act.f(v) - base)),
                            lambda v: act.vjp(v, act.f(v), G), A)
    assert result.passed(TOL), (name, result)


@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if n != "softmax"])
@given(data=st.data())
def test_vjp_equals_gradient_times_derivative(name, data):
    act = ACTIVATIONS[name]
    A = data.draw(float_arrays(shapes(min_dims=2, max_dims=2), -20.0, 20.0))
    G = data.draw(float_arrays(A.shape, -2.0, 2.0))
    np.testing.assert_allclose(act.vjp(A, act.f(A), G), G * act.df(A), rtol=1e-7, atol=1e-15)


@given(A=float_arrays(shapes(min_dims=2, max_dims=2), -10.0, 10.0), data=st.data())
def test_softmax_vjp_is_jacobian_transpose_product(A, data):
    G = data.draw(float_arrays(A.shape, -2.0, 2.0))
    expected = np.einsum("nij,ni->nj", softmax_jacobian(A), G)  # J^T G, row by row
    np.testing.assert_allclose(ACTIVATIONS["softmax"].vjp(A, softmax(A), G), expected, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- values and identities
@given(z=float_arrays(shapes(), -40.0, 40.0))
def test_sigmoid_values_and_symmetry(z):
    s = sigmoid(z)
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(s, 1 / (1 + np.exp(-z)), rtol=1e-14, atol=0)
    np.testing.assert_allclose(sigmoid(-z), 1 - s, rtol=0, atol=2e-16)
    np.testing.assert_allclose(sigmoid_prime(z), s * sigmoid(-z), rtol=1e-13, atol=0)
    np.testing.assert_allclose(log_sigmoid(z), -np.log1p(np.exp(-z)), rtol=1e-13, atol=0)


@given(z=float_arrays(shapes(), -20.0, 20.0))
def test_tanh_identities(z):
    np.testing.assert_allclose(tanh(z), 2 * sigmoid(2 * z) - 1, rtol=0, atol=1e-15)
    np.testing.assert_allclose(tanh_prime(z), 1 - np.tanh(z) ** 2, rtol=0, atol=1e-15)


def test_piecewise_values():
    z = np.array([-2.0, 0.0, 3.0])
    assert np.array_equal(step(z), [0.0, 0.0, 1.0])
    assert np.array_equal(step_prime(z), [0.0, 0.0, 0.0])
    assert np.array_equal(relu(z), [0.0, 0.0, 3.0])
    assert np.array_equal(relu_prime(z), [0.0, 0.0, 1.0])  # 0 at the kink by convention
    assert np.array_equal(identity(z), z) and identity(z) is not z
    assert np.array_equal(identity_prime(z), np.ones(3))
    assert sigmoid(0.0) == 0.5 and sigmoid_prime(0.0) == 0.25 and tanh_prime(0.0) == 1.0


@given(z=float_arrays(shapes(), -50.0, 50.0), c=st.floats(-100, 100))
def test_softmax_is_a_distribution_and_shift_invariant(z, c):
    s = softmax(z)
    assert s.shape == z.shape and np.all(s >= 0)
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=0, atol=1e-14)
    np.testing.assert_allclose(softmax(z + c), s, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.exp(log_softmax(z)), s, rtol=0, atol=1e-14)


@given(z=float_arrays(shapes(min_dims=1, max_dims=3), -10.0, 10.0))
def test_softmax_jacobian_shape_and_formula(z):
    J = softmax_jacobian(z)
    n = z.shape[-1]
    assert J.shape == z.shape + (n,)
    s = softmax(z)
    expected = s[..., :, None] * np.eye(n) - s[..., :, None] * s[..., None, :]
    np.testing.assert_allclose(J, expected, rtol=0, atol=1e-16)
    np.testing.assert_allclose(J.sum(axis=-1), 0.0, atol=1e-15)  # shift invariance


@given(z=float_arrays(st.integers(1, 6), -30.0, 30.0))
def test_two_class_softmax_is_sigmoid(z):
    pairs = np.stack([z, np.zeros_like(z)], axis=-1)
    np.testing.assert_allclose(softmax(pairs)[:, 0], sigmoid(z), rtol=1e-14, atol=1e-300)


# ---------------------------------------------------------------- stability: extreme inputs
finite64 = st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize("fn", ELEMENTWISE + ROWWISE, ids=lambda f: f.__name__)
@given(z=hnp.arrays(np.float64, shapes(), elements=finite64))
def test_extreme_inputs_give_finite_outputs_without_warnings(fn, z):
    with np.errstate(**STRICT):  # and pytest turns any RuntimeWarning into an error
        out = fn(z)
    assert np.all(np.isfinite(out))


@pytest.mark.parametrize("fn", ELEMENTWISE + [softmax, softmax_jacobian], ids=lambda f: f.__name__)
@given(z=hnp.arrays(np.float64, shapes(), elements=st.floats(allow_nan=False, allow_infinity=False)))
def test_whole_float64_range_is_finite(fn, z):
    with np.errstate(**STRICT):
        out = fn(z)
    assert np.all(np.isfinite(out))


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@given(A=hnp.arrays(np.float64, shapes(min_dims=2, max_dims=2), elements=finite64))
def test_extreme_vjp_is_finite(name, A):
    act = ACTIVATIONS[name]
    with np.errstate(**STRICT):
        out = act.vjp(A, act.f(A), np.ones_like(A))
    assert np.all(np.isfinite(out))


@pytest.mark.parametrize("fn", ELEMENTWISE + ROWWISE, ids=lambda f: f.__name__)
@given(z=hnp.arrays(np.float32, shapes(), elements=st.floats(-9.999999680285692e37, 9.999999680285692e37, width=32)))
def test_float32_extremes_are_finite_and_keep_dtype(fn, z):
    with np.errstate(**STRICT):
        out = fn(z)
    assert out.dtype == np.float32
    assert np.all(np.isfinite(out))


def test_documented_extremes():
    with np.errstate(**STRICT):
        assert np.array_equal(sigmoid([-1e4, 1e4, -1e300, 1e300]), [0.0, 1.0, 0.0, 1.0])
        assert np.array_equal(log_sigmoid([-1e4, -1e300]), [-1e4, -1e300])
        np.testing.assert_allclose(softmax([1e4, 0.0, -1e4]), [1.0, 0.0, 0.0])
        np.testing.assert_allclose(softmax([1e300, 1e300]), [0.5, 0.5])
        np.testing.assert_allclose(softmax([-1.7e308, 1.7e308]), [0.0, 1.0])
        np.testing.assert_allclose(log_softmax([1e4, 0.0]), [0.0, -1e4])


# ---------------------------------------------------------------- dtypes and bad input
@pytest.mark.parametrize("fn", ELEMENTWISE + ROWWISE, ids=lambda f: f.__name__)
def test_dtypes(fn):
    assert fn(np.array([1.0, -2.0], dtype=np.float32)).dtype == np.float32
    assert fn(np.array([1, -2])).dtype == np.float64
    assert fn([True, False]).dtype == np.float64
    for bad in (np.array(["a", "b"]), np.array([1 + 2j, 0j]), np.array([1.0, None], dtype=object)):
        with pytest.raises(TypeError, match=r"z must hold real numbers \(float, int or bool\)"):
            fn(bad)


@pytest.mark.parametrize("fn", ROWWISE, ids=lambda f: f.__name__)
def test_rowwise_needs_a_class_axis(fn):
    with pytest.raises(ValueError, match="scalar"):
        fn(1.0)
    with pytest.raises(ValueError, match="at least one class"):
        fn(np.zeros((3, 0)))


def test_activation_registry():
    assert set(ACTIVATIONS) == {"identity", "step", "sigmoid", "tanh", "relu", "softmax"}
    for name, act in ACTIVATIONS.items():
        assert isinstance(act, Activation) and act.name == name
        assert get_activation(name) is act
        assert (act.df is None) == (name == "softmax")
    assert get_activation(" ReLU ") is ACTIVATIONS["relu"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ACTIVATIONS["relu"].name = "other"  # type: ignore[misc]


@pytest.mark.parametrize("name", ["sigmiod", "", "softplus", "Identity2"])
def test_unknown_activation_lists_valid_names(name):
    with pytest.raises(ValueError) as info:
        get_activation(name)
    message = str(info.value)
    assert repr(name) in message
    assert all(valid in message for valid in ACTIVATIONS)


@pytest.mark.parametrize("bad", [3, None, 1.5, ["sigmoid"], sigmoid])
def test_non_string_activation_name_is_a_type_error(bad):
    with pytest.raises(TypeError, match="must be a str"):
        get_activation(bad)
