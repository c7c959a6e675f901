"""Tests for backprop_book.losses: gradients against central differences, stability, bad input."""

import dataclasses
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from backprop_book.activations import ACTIVATIONS, sigmoid, softmax
from backprop_book.gradcheck import TOL, check_gradient
from backprop_book.losses import (
    LOSSES,
    Loss,
    as_targets,
    check_compatible,
    get_loss,
    one_hot,
)

# ---------------------------------------------------------------- strategies

shapes = st.tuples(st.integers(1, 5), st.integers(1, 4))


def batch(shape, lo, hi):
    """A float64 array of `shape` with entries in [lo, hi]."""
    return arrays(np.float64, shape, elements=st.floats(lo, hi, allow_nan=False, allow_infinity=False))


@st.composite
def onehot_targets(draw, n_rows, n_classes):
    labels = draw(arrays(np.int64, (n_rows,), elements=st.integers(0, n_classes - 1)))
    return one_hot(labels, n_classes)


@st.composite
def distribution_targets(draw, n_rows, n_classes):
    """Rows that are probability distributions (soft targets), or one-hot rows."""
    if draw(st.booleans()):
        return draw(onehot_targets(n_rows, n_classes))
    w = draw(batch((n_rows, n_classes), 0.0, 1.0)) + 1e-3
    return w / w.sum(axis=1, keepdims=True)


def assert_gradient(f, grad_f, x):
    gc = check_gradient(f, grad_f, x.copy())
    assert gc.passed(TOL), str(gc)


# ---------------------------------------------------------------- the registry


def test_registry_names_and_natural_outputs():
    assert set(LOSSES) == {"squared", "cross_entropy", "binary_cross_entropy"}
    assert {n: loss.natural_output for n, loss in LOSSES.items()} == {
        "squared": "identity", "cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}
    for name, loss in LOSSES.items():
        assert isinstance(loss, Loss) and loss.name == name and get_loss(name) is loss
        assert loss.natural_output in ACTIVATIONS


def test_loss_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        LOSSES["squared"].name = "other"  # type: ignore[misc]


@pytest.mark.parametrize("name", ["hinge", "Squared", "", "mse"])
def test_unknown_loss_name(name):
    with pytest.raises(ValueError, match="unknown loss.*valid names"):
        get_loss(name)


@pytest.mark.parametrize("name", [None, 3, LOSSES["squared"], ["squared"]])
def test_non_string_loss_name(name):
    with pytest.raises(TypeError, match="loss name must be a string"):
        get_loss(name)


# ---------------------------------------------------------------- values: the formulas themselves


def test_squared_value_has_the_half_and_the_average():
    Yhat = np.array([[1.0, 2.0], [0.0, 0.0], [3.0, -1.0]])
    Y = np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 1.0]])
    # squared distances 5, 2, 4 -> E = (5 + 2 + 4) / (2 * 3)
    assert LOSSES["squared"].value(Yhat, Y) == pytest.approx(11 / 6, rel=1e-15)
    np.testing.assert_allclose(LOSSES["squared"].grad(Yhat, Y), (Yhat - Y) / 3, rtol=0, atol=0)


def test_cross_entropy_value_by_hand():
    Yhat = np.array([[0.7, 0.2, 0.1], [0.25, 0.25, 0.5]])
    Y = one_hot([0, 2], 3)
    assert LOSSES["cross_entropy"].value(Yhat, Y) == pytest.approx(-(np.log(0.7) + np.log(0.5)) / 2, rel=1e-15)


def test_binary_cross_entropy_value_by_hand():
    Yhat = np.array([[0.9], [0.2]])
    Y = np.array([[1.0], [0.0]])
    assert LOSSES["binary_cross_entropy"].value(Yhat, Y) == pytest.approx(
        -(np.log(0.9) + np.log(0.8)) / 2, rel=1e-15)


@settings(max_examples=40)
@given(data=st.data(), shape=shapes)
def test_from_logits_agrees_with_from_probabilities(data, shape):
    A = data.draw(batch(shape, -20, 20))
    Y = data.draw(batch(shape, -2, 2))
    assert LOSSES["squared"].value_from_logits(A, Y) == pytest.approx(LOSSES["squared"].value(A, Y), rel=1e-13)
    for g in ("sigmoid", "tanh", "softmax"):
        assert LOSSES["squared"].value_from_logits(A, Y, g) == pytest.approx(
            LOSSES["squared"].value(ACTIVATIONS[g].f(A), Y), rel=1e-12)
    Yb = data.draw(batch(shape, 0, 1))
    bce = LOSSES["binary_cross_entropy"]
    # The probability route computes log(1 - sigmoid(a)), which loses about e^|a| * eps relative
    # accuracy to cancellation; on |a| <= 8 that is below 1e-12, so it can serve as the reference.
    A8 = data.draw(batch(shape, -8, 8))
    assert bce.value_from_logits(A8, Yb) == pytest.approx(bce.value(sigmoid(A8), Yb), rel=1e-9, abs=1e-12)
    if shape[1] >= 2:
        Yc = data.draw(distribution_targets(*shape))
        ce = LOSSES["cross_entropy"]
        assert ce.value_from_logits(A, Yc) == pytest.approx(ce.value(softmax(A), Yc), rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------- gradients against central differences


@settings(max_examples=60)
@given(data=st.data(), shape=shapes)
def test_squared_grad(data, shape):
    Yhat, Y = data.draw(batch(shape, -1, 1)), data.draw(batch(shape, -1, 1))
    sq = LOSSES["squared"]
    assert_gradient(lambda P: sq.value(P, Y), lambda P: sq.grad(P, Y), Yhat)


@settings(max_examples=60)
@given(data=st.data(), shape=shapes, g_o=st.sampled_from(["identity", "sigmoid", "tanh", "softmax"]))
def test_squared_delta_any_output(data, shape, g_o):
    A, Y = data.draw(batch(shape, -3, 3)), data.draw(batch(shape, -1, 1))
    sq, act = LOSSES["squared"], ACTIVATIONS[g_o]
    assert_gradient(lambda Z: sq.value_from_logits(Z, Y, g_o), lambda Z: sq.delta(Z, act.f(Z), Y, g_o), A)


@settings(max_examples=60)
@given(data=st.data(), shape=st.tuples(st.integers(1, 5), st.integers(2, 4)))
def test_cross_entropy_grad(data, shape):
    # Probabilities >= 0.05: the central difference of log p is accurate to 1e-7 only away from 0.
    Yhat = data.draw(batch(shape, 0.05, 0.95))
    Y = data.draw(distribution_targets(*shape))
    ce = LOSSES["cross_entropy"]
    assert_gradient(lambda P: ce.value(P, Y), lambda P: ce.grad(P, Y), Yhat)


@settings(max_examples=60)
@given(data=st.data(), shape=st.tuples(st.integers(1, 5), st.integers(2, 4)))
def test_cross_entropy_delta_is_yhat_minus_y(data, shape):
    A = data.draw(batch(shape, -6, 6))
    Y = data.draw(distribution_targets(*shape))
    ce = LOSSES["cross_entropy"]
    assert_gradient(lambda Z: ce.value_from_logits(Z, Y), lambda Z: ce.delta(Z, softmax(Z), Y), A)
    np.testing.assert_array_equal(ce.delta(A, softmax(A), Y), (softmax(A) - Y) / shape[0])


@settings(max_examples=60)
@given(data=st.data(), shape=shapes)
def test_binary_cross_entropy_grad(data, shape):
    Yhat = data.draw(batch(shape, 0.05, 0.95))
    Y = data.draw(batch(shape, 0.0, 1.0))
    # At yhat = y the gradient is 0 but the third derivative is not, and the central difference is off
    # by h^2 |E'''|/6 ~ 1e-9, more than the 1e-3 floor allows: keep |yhat - y| >= 0.05 (the exact zero
    # is checked in the next test instead of loosening the tolerance).
    close = np.abs(Yhat - Y) < 0.05
    Y = np.where(close, np.where(Yhat > 0.5, Yhat - 0.05, Yhat + 0.05), Y)
    bce = LOSSES["binary_cross_entropy"]
    assert_gradient(lambda P: bce.value(P, Y), lambda P: bce.grad(P, Y), Yhat)


@settings(max_examples=30)
@given(data=st.data(), shape=shapes)
def test_binary_cross_entropy_grad_vanishes_at_the_target(data, shape):
    Y = data.draw(batch(shape, 0.01, 0.99))
    np.testing.assert_allclose(LOSSES["binary_cross_entropy"].grad(Y, Y), 0, atol=1e-15)


@settings(max_examples=60)
@given(data=st.data(), shape=shapes)
def test_binary_cross_entropy_delta_is_yhat_minus_y(data, shape):
    A = data.draw(batch(shape, -6, 6))
    Y = data.draw(batch(shape, 0.0, 1.0))
    bce = LOSSES["binary_cross_entropy"]
    assert_gradient(lambda Z: bce.value_from_logits(Z, Y), lambda Z: bce.delta(Z, sigmoid(Z), Y), A)
    np.testing.assert_array_equal(bce.delta(A, sigmoid(A), Y), (sigmoid(A) - Y) / shape[0])


def test_a_wrong_gradient_is_caught():
    """The check above can fail: drop the 1/N of the cross-entropy delta and it does."""
    rng = np.random.default_rng(0)
    A, Y = rng.normal(size=(3, 4)), one_hot([0, 3, 1], 4)
    ce = LOSSES["cross_entropy"]
    gc = check_gradient(lambda Z: ce.value_from_logits(Z, Y), lambda Z: softmax(Z) - Y, A)
    assert not gc.passed(TOL)


# ---------------------------------------------------------------- stability

EXTREME = [1e2, 1e3, 1e4, 1e30, 1e300]


@pytest.mark.parametrize("s", EXTREME)
def test_cross_entropy_extreme_logits(s):
    A = np.array([[s, 0.0, -s], [-s, 0.0, s], [s, s, -s]])
    Y = one_hot([0, 0, 2], 3)
    ce = LOSSES["cross_entropy"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = ce.value_from_logits(A, Y)
        d = ce.delta(A, softmax(A), Y)
    # row 1: right, loss ~0; row 2: wrong by a gap 2s; row 3: wrong by 2s, with two tied winners
    assert np.isfinite(v) and v == pytest.approx((2 * s + 2 * s + np.log(2)) / 3, rel=1e-12)
    assert np.all(np.isfinite(d)) and np.all(np.abs(d) <= 1 / 3 + 1e-15)


@pytest.mark.parametrize("s", EXTREME)
def test_binary_cross_entropy_extreme_logits(s):
    A = np.array([[s, -s], [-s, s]])
    Y = np.array([[1.0, 0.0], [1.0, 0.0]])
    bce = LOSSES["binary_cross_entropy"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = bce.value_from_logits(A, Y)
        d = bce.delta(A, sigmoid(A), Y)
    assert np.isfinite(v) and v == pytest.approx(2 * s / 2, rel=1e-12)  # row 2 wrong on both nodes by s
    assert np.all(np.isfinite(d))


@settings(max_examples=100)
@given(data=st.data(), shape=st.tuples(st.integers(1, 4), st.integers(2, 4)))
def test_any_finite_logits_up_to_1e300_give_finite_losses(data, shape):
    A = data.draw(batch(shape, -1e300, 1e300))
    Yc = data.draw(distribution_targets(*shape))
    Yb = data.draw(batch(shape, 0, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for loss, Y, g in ((LOSSES["cross_entropy"], Yc, softmax), (LOSSES["binary_cross_entropy"], Yb, sigmoid)):
            v = loss.value_from_logits(A, Y)
            d = loss.delta(A, g(A), Y)
            assert np.isfinite(v) and v >= 0
            assert np.all(np.isfinite(d))


def test_probabilities_exactly_zero_and_one():
    P = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    Y = one_hot([0, 1], 3)  # row 1 right and certain, row 2 certain and wrong
    Pb = np.array([[0.0, 1.0], [1.0, 0.0]])
    Yb = np.array([[0.0, 1.0], [0.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        results = [LOSSES["cross_entropy"].value(P, Y), LOSSES["binary_cross_entropy"].value(Pb, Yb)]
        grads = [LOSSES["cross_entropy"].grad(P, Y), LOSSES["binary_cross_entropy"].grad(Pb, Yb)]
        assert LOSSES["cross_entropy"].value(P[:1], Y[:1]) == 0
        assert LOSSES["binary_cross_entropy"].value(Pb[:1], Yb[:1]) == 0
    assert all(np.isfinite(r) and r > 0 for r in results)
    assert all(np.all(np.isfinite(g)) for g in grads)


def test_squared_overflow_is_inf_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert LOSSES["squared"].value([[1e300]], [[-1e300]]) == np.inf


def test_float32_is_kept():
    P = np.array([[0.2, 0.8]], dtype=np.float32)
    Y = np.array([[0.0, 1.0]], dtype=np.float32)
    for name in LOSSES:
        g = LOSSES[name].grad(P, Y)
        assert g.dtype == np.float32 and np.all(np.isfinite(g))


# ---------------------------------------------------------------- targets


@settings(max_examples=40)
@given(labels=arrays(np.int64, st.integers(1, 20), elements=st.integers(0, 6)), extra=st.integers(0, 3))
def test_one_hot_roundtrip(labels, extra):
    n = int(labels.max()) + 1 + extra
    Y = one_hot(labels, n)
    assert Y.shape == (labels.size, n) and Y.dtype == np.float64
    np.testing.assert_array_equal(Y.argmax(axis=1), labels)
    np.testing.assert_array_equal(Y.sum(axis=1), 1)
    if n >= 2:
        np.testing.assert_array_equal(as_targets(labels, n, "cross_entropy"), Y)


def test_as_targets_accepted_forms():
    np.testing.assert_array_equal(as_targets([2, 0], 3, "cross_entropy"), [[0, 0, 1], [1, 0, 0]])
    np.testing.assert_array_equal(as_targets(np.array([2.0, 0.0]), 3, "cross_entropy"), [[0, 0, 1], [1, 0, 0]])
    soft = np.array([[0.2, 0.8], [1.0, 0.0]])
    np.testing.assert_array_equal(as_targets(soft, 2, "cross_entropy"), soft)
    assert as_targets([1, 0, 1], 1, "binary_cross_entropy").shape == (3, 1)
    assert as_targets(np.zeros((3, 2)), 2, "binary_cross_entropy").shape == (3, 2)
    assert as_targets([0.5, -3.0], 1, "squared").tolist() == [[0.5], [-3.0]]
    assert as_targets(np.ones((2, 4), dtype=np.int64), 4, "squared").dtype == np.float64


@pytest.mark.parametrize("args, match", [
    (([0, 3], 3, "cross_entropy"), r"0\.\.2"),
    (([-1, 0], 3, "cross_entropy"), r"0\.\.2"),
    (([0.5, 1.0], 3, "cross_entropy"), "whole numbers"),
    (([0, np.nan], 3, "cross_entropy"), "NaN"),
    (([[0.0, 1.0, 1.0]], 3, "cross_entropy"), "sum to 1"),
    (([[0.5, 0.5]], 3, "cross_entropy"), r"\(N, 3\)"),
    (([0, 1], 1, "cross_entropy"), "binary_cross_entropy"),
    (([0.2, 1.3], 1, "binary_cross_entropy"), r"\[0, 1\]"),
    (([[-0.1, 0.5]], 2, "binary_cross_entropy"), r"\[0, 1\]"),
    (([1.0, np.nan], 1, "squared"), "NaN"),
    (([1.0, np.inf], 1, "squared"), "NaN or inf"),
    (([1, 2], 2, "squared"), "2-D"),
    ((np.zeros((4, 2)), 3, "squared"), r"\(N, 3\)"),
    ((np.zeros((0, 2)), 2, "squared"), "empty"),
    ((np.zeros((2, 2, 2)), 2, "squared"), "2-D"),
    (([0, 1], 0, "squared"), "n_outputs"),
    (([0, 1], 2, "mse"), "unknown loss"),
])
def test_as_targets_rejects(args, match):
    with pytest.raises(ValueError, match=match):
        as_targets(*args)


@pytest.mark.parametrize("labels, n, exc", [
    ([0, 3], 3, ValueError), ([-1], 2, ValueError), ([0.5], 2, ValueError), ([[0, 1]], 2, ValueError),
    ([], 2, ValueError), ([0, 1], 0, ValueError), ([0, 1], 2.0, TypeError), ([0, 1], True, TypeError),
    ("01", 2, TypeError), ([np.nan], 2, ValueError),
])
def test_one_hot_rejects(labels, n, exc):
    with pytest.raises(exc):
        one_hot(labels, n)


# ---------------------------------------------------------------- bad input to the losses


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_shape_errors(name):
    loss = get_loss(name)
    good = np.full((2, 3), 1 / 3)
    with pytest.raises(ValueError, match=r"Y has shape \(3, 2\) but Yhat has shape \(2, 3\)"):
        loss.value(good, good.T)
    with pytest.raises(ValueError, match="2-D"):
        loss.grad(good[0], good[0])
    with pytest.raises(ValueError, match="empty"):
        loss.value(np.zeros((0, 3)), np.zeros((0, 3)))
    with pytest.raises(ValueError, match=r"but A has shape \(2, 2\)"):
        loss.delta(good[:, :2], good, good)
    with pytest.raises(ValueError, match=r"but A has shape"):
        loss.value_from_logits(good[:1], good)
    with pytest.raises(TypeError, match="Yhat must be an array of real numbers; got str"):
        loss.value("abc", good)
    with pytest.raises(TypeError, match="real numbers"):
        loss.value(good.astype(complex), good)
    with pytest.raises(ValueError, match="rectangular"):
        loss.value([[0.5, 0.5], [0.5]], good)


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_rejected(name, bad):
    loss = get_loss(name)
    P = np.array([[0.5, 0.5]])
    Pbad = np.array([[bad, 0.5]])
    for fn, args in ((loss.value, (Pbad, P)), (loss.value, (P, Pbad)), (loss.grad, (Pbad, P)),
                     (loss.value_from_logits, (Pbad, P)), (loss.delta, (P, P, Pbad))):
        with pytest.raises(ValueError, match="NaN or inf"):
            fn(*args)


@pytest.mark.parametrize("name", ["cross_entropy", "binary_cross_entropy"])
@pytest.mark.parametrize("p", [-1e-12, 1.0000001, 2.0, -3.0])
def test_probabilities_outside_unit_interval_rejected(name, p):
    loss = get_loss(name)
    P = np.array([[p, 0.5]])
    Y = np.array([[0.0, 1.0]])
    with pytest.raises(ValueError, match=r"Yhat must hold probabilities in \[0, 1\]"):
        loss.value(P, Y)
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        loss.grad(P, Y)
    with pytest.raises(ValueError, match=r"Y must hold probabilities in \[0, 1\]"):
        loss.value(Y, P)
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        loss.delta(np.zeros((1, 2)), P, Y)


def test_cross_entropy_targets_must_be_distributions():
    ce = LOSSES["cross_entropy"]
    P = np.full((2, 3), 1 / 3)
    for Y in (np.zeros((2, 3)), np.ones((2, 3)), np.array([[0.5, 0.4, 0.0], [1.0, 0.0, 0.0]])):
        for fn, args in ((ce.value, (P, Y)), (ce.grad, (P, Y)), (ce.value_from_logits, (P, Y)),
                         (ce.delta, (P, P, Y))):
            with pytest.raises(ValueError, match="sum to 1"):
                fn(*args)
    with pytest.raises(ValueError, match="2-D"):
        ce.value(P, np.array([0, 2]))  # integer labels must go through as_targets


@pytest.mark.parametrize("loss_name, output", [
    ("cross_entropy", "sigmoid"), ("cross_entropy", "identity"), ("binary_cross_entropy", "softmax"),
    ("binary_cross_entropy", "tanh"), ("cross_entropy", "relu"),
])
def test_incompatible_loss_and_output(loss_name, output):
    with pytest.raises(ValueError, match=f"{loss_name}.*{output}"):
        check_compatible(loss_name, output)
    P = np.array([[0.5, 0.5]])
    with pytest.raises(ValueError, match="needs output activation"):
        get_loss(loss_name).value_from_logits(P, P, output)
    with pytest.raises(ValueError, match="needs output activation"):
        get_loss(loss_name).delta(P, P, P, output)


@pytest.mark.parametrize("output", ["identity", "sigmoid", "tanh", "relu", "softmax"])
def test_squared_works_with_any_output(output):
    check_compatible("squared", output)
    check_compatible("cross_entropy", "softmax")
    check_compatible("binary_cross_entropy", "sigmoid")


def test_check_compatible_unknown_names():
    with pytest.raises(ValueError, match="unknown loss"):
        check_compatible("hinge", "softmax")
    with pytest.raises(ValueError, match="unknown activation"):
        check_compatible("squared", "swish")
    with pytest.raises(TypeError):
        check_compatible("squared", 3)
    with pytest.raises(TypeError, match="g_o must be"):
        LOSSES["squared"].value_from_logits([[1.0]], [[1.0]], 3)
