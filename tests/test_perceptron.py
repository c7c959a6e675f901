"""Tests of backprop_book.perceptron: the rule's direction, Novikoff's bound, XOR, and bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_book.perceptron import (
    Perceptron,
    augment,
    check_data,
    check_inputs,
    find_cycle,
    make_separable,
    max_margin,
    novikoff_bound,
    radius,
    separator_margin,
    xor_data,
)
from tests.strategies import float_arrays, seeds

dims = st.integers(1, 6)
sizes = st.integers(1, 80)
margins = st.floats(0.02, 0.5)
rates = st.floats(1e-3, 100.0, allow_nan=False, allow_infinity=False)

# R and gamma carry float64 rounding (relative ~1e-15), which can put a bound that is exactly an
# integer (e.g. (R/gamma)^2 = 1 for a single point) an ulp below it. The count of updates is an
# integer, so this slack only matters when the bound is within 1e-9 of an integer.
ROUNDING = 1e-9


def within_bound(updates: int, bound: float) -> bool:
    return updates <= bound * (1 + ROUNDING)


# ---------------------------------------------------------------- separable data and Novikoff's bound


@given(n=dims, N=sizes, margin=margins, seed=seeds(), lr=rates, shuffle=st.booleans())
def test_zero_start_converges_within_novikoff_bound(n, N, margin, seed, lr, shuffle):
    data = make_separable(N, n=n, margin=margin, seed=seed)
    R = radius(data.X)
    gamma = separator_margin(data.X, data.d, data.w, data.b)
    bound = novikoff_bound(R, gamma)
    # Every epoch before the last makes at least one update, so bound + 1 epochs always suffice.
    p = Perceptron()
    h = p.fit(data.X, data.d, lr=lr, max_epochs=int(bound) + 2, init="zeros", seed=seed,
              shuffle=shuffle)
    assert h.converged and h.mistakes[-1] == 0
    assert within_bound(h.updates, bound)
    assert h.updates == sum(h.mistakes)
    assert np.array_equal(p.predict(data.X), data.d)
    assert len(h.weights) == h.epochs + 1 and np.array_equal(h.weights[0], np.zeros(n + 1))
    assert np.array_equal(h.weights[-1], p.theta)


@settings(max_examples=20)
@given(n=dims, N=st.integers(1, 40), margin=margins, seed=seeds())
def test_max_margin_brackets_the_best_margin_and_bounds_the_run(n, N, margin, seed):
    data = make_separable(N, n=n, margin=margin, seed=seed)
    gamma_gen = separator_margin(data.X, data.d, data.w, data.b)
    tol = 1e-6
    mm = max_margin(data.X, data.d, tol=tol, max_iter=50_000)
    assert 0 < mm.gamma <= mm.gamma_upper
    assert np.isclose(separator_margin(data.X, data.d, mm.w, mm.b), mm.gamma, rtol=1e-12)
    assert np.array_equal(Perceptron(w=mm.w, b=mm.b).predict(data.X), data.d)
    assert gamma_gen <= mm.gamma_upper * (1 + 1e-12)  # the upper end is an upper bound
    if mm.iterations < 50_000:  # stopped by the tolerance: the lower end is near the best
        assert mm.gamma >= gamma_gen * (1 - tol)
    h = Perceptron().fit(data.X, data.d, max_epochs=100_000)
    assert h.converged and within_bound(h.updates, novikoff_bound(radius(data.X), mm.gamma))


def test_max_margin_known_answers():
    mm = max_margin([[1.0], [-1.0]], [1, 0])  # best u = (0, 1), margin 1
    assert abs(mm.gamma - 1.0) < 1e-6 and abs(mm.b) < 1e-6 and mm.w[0] > 0
    # AND: by symmetry the best separator has w1 = w2.
    X, _ = xor_data()
    mm_and = max_margin(X, [0, 0, 0, 1])
    assert np.isclose(mm_and.w[0], mm_and.w[1], rtol=1e-4)
    assert mm_and.gamma >= separator_margin(X, [0, 0, 0, 1], [1, 1], -1.5) * (1 - 1e-6)


def test_max_margin_rejects_non_separable_data():
    X, d = xor_data()
    with pytest.raises(ValueError, match="not linearly separable"):
        max_margin(X, d, max_iter=3000)


@given(n=dims, N=sizes, margin=margins, seed=seeds())
def test_make_separable_has_the_promised_margin(n, N, margin, seed):
    data = make_separable(N, n=n, margin=margin, seed=seed)
    assert data.X.shape == (N, n) and data.X.dtype == np.float64
    assert data.d.shape == (N,) and data.d.dtype == np.int64
    assert set(np.unique(data.d)) <= {0, 1}
    assert np.isclose(np.linalg.norm(data.w), 1.0) and -0.5 <= data.b <= 0.5
    s = 2 * data.d - 1
    distances = s * (data.X @ data.w + data.b)
    assert np.isclose(data.margin, distances.min())
    assert data.margin >= margin * (1 - 1e-9)
    again = make_separable(N, n=n, margin=margin, seed=seed)
    assert np.array_equal(again.X, data.X) and np.array_equal(again.d, data.d)


def test_make_separable_seeds_differ():
    assert not np.array_equal(make_separable(20, seed=1).X, make_separable(20, seed=2).X)


def test_radius_and_separator_margin_by_hand():
    assert radius([[3.0, 4.0], [0.0, 0.0]]) == pytest.approx(np.sqrt(26.0))
    # theta = (b, w) = (0, 2): unit u = (0, 1); s * u.(1, x) = 1 for both points.
    assert separator_margin([[1.0], [-1.0]], [1, 0], [2.0], 0.0) == pytest.approx(1.0)
    # a separator that errs has a negative margin
    assert separator_margin([[1.0], [-1.0]], [0, 1], [1.0], 0.0) < 0
    assert novikoff_bound(2.0, 0.5) == pytest.approx(16.0)


# ---------------------------------------------------------------- the rule and its direction


@given(n=dims, seed=seeds(), lr=rates)
def test_update_moves_the_activation_towards_the_label(n, seed, lr):
    rng = np.random.default_rng(seed)
    w, b, x = rng.normal(size=n), float(rng.normal()), rng.normal(size=n)
    p = Perceptron(w=w, b=b)
    y = int(p.predict(x))
    d = 1 - y  # the example is misclassified
    a_before = float(p.activation(x))
    error = p.update(x, d, lr=lr)
    assert error == d - y
    change = float(p.activation(x)) - a_before
    if d == 1:  # prediction too low: the activation must go up
        assert change > 0
    else:  # prediction too high: the activation must go down
        assert change < 0
    assert change == pytest.approx(lr * error * (1.0 + x @ x), rel=1e-9, abs=1e-12)
    assert np.allclose(p.w, w + lr * error * x) and np.isclose(p.b, b + lr * error)


def test_update_sign_on_one_point_by_hand():
    p = Perceptron(w=[0.0, 0.0], b=0.0)  # answers 0 everywhere
    assert p.update([1.0, -2.0], 1, lr=0.5) == 1  # too low
    assert np.array_equal(p.w, [0.5, -1.0]) and p.b == 0.5  # w += r x, b += r
    q = Perceptron(w=[1.0, 1.0], b=1.0)  # answers 1 at (1, 1)
    assert q.update([1.0, 1.0], 0, lr=1.0) == -1  # too high
    assert np.array_equal(q.w, [0.0, 0.0]) and q.b == 0.0  # w -= r x, b -= r


@given(n=dims, seed=seeds(), lr=rates)
def test_update_leaves_a_correct_example_alone(n, seed, lr):
    rng = np.random.default_rng(seed)
    w, b, x = rng.normal(size=n), float(rng.normal()), rng.normal(size=n)
    p = Perceptron(w=w, b=b)
    assert p.update(x, int(p.predict(x)), lr=lr) == 0
    assert np.array_equal(p.w, w) and p.b == b


@given(n=dims, N=sizes, seed=seeds(), k=st.integers(-6, 6))
def test_zero_start_learning_rate_only_scales_the_weights(n, N, seed, k):
    # Scaling by a power of two is exact in floating point, so the runs must agree bit for bit.
    data = make_separable(N, n=n, margin=0.05, seed=seed)
    h1 = Perceptron().fit(data.X, data.d, lr=1.0, max_epochs=500)
    h2 = Perceptron().fit(data.X, data.d, lr=2.0**k, max_epochs=500)
    assert h1.mistakes == h2.mistakes
    assert all(np.array_equal(2.0**k * a, b) for a, b in zip(h1.weights, h2.weights, strict=True))


def test_predict_shapes_and_values():
    p = Perceptron(w=[1.0, 1.0], b=-1.5)  # AND
    X, _ = xor_data()
    y = p.predict(X)
    assert y.dtype == np.int64 and y.shape == (4,) and y.tolist() == [0, 0, 0, 1]
    assert int(p.predict([1.0, 1.0])) == 1 and np.ndim(p.predict([1.0, 1.0])) == 0
    assert Perceptron(w=[1.0], b=0.0).predict([[0.0]]).tolist() == [0]  # a = 0 answers 0


def test_random_init_is_seeded():
    data = make_separable(30, seed=4)
    h1 = Perceptron().fit(data.X, data.d, init="random", seed=7)
    h2 = Perceptron().fit(data.X, data.d, init="random", seed=7)
    h3 = Perceptron().fit(data.X, data.d, init="random", seed=8)
    assert np.array_equal(h1.weights[0], h2.weights[0]) and h1.mistakes == h2.mistakes
    assert not np.array_equal(h1.weights[0], h3.weights[0])


def test_record_steps():
    X, d = xor_data()
    h = Perceptron().fit(X, d, max_epochs=3, record_steps=True)
    assert len(h.steps) == 3 * 4
    assert all(np.array_equal(h.steps[4 * e + 3], h.weights[e + 1]) for e in range(3))
    assert Perceptron().fit(X, d, max_epochs=3).steps == []


def test_augment():
    assert np.array_equal(augment(np.array([[2.0, 3.0]])), [[1.0, 2.0, 3.0]])


# ---------------------------------------------------------------- XOR


def test_xor_data_contract():
    X, d = xor_data()
    assert X.shape == (4, 2) and X.dtype == np.float64 and d.dtype == np.int64
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and d.tolist() == [0, 1, 1, 0]


@given(lr=rates, max_epochs=st.integers(1, 300), init=st.sampled_from(["zeros", "random"]),
       seed=seeds(), shuffle=st.booleans())
def test_xor_never_has_an_epoch_without_mistakes(lr, max_epochs, init, seed, shuffle):
    X, d = xor_data()
    p = Perceptron()
    h = p.fit(X, d, lr=lr, max_epochs=max_epochs, init=init, seed=seed, shuffle=shuffle)
    assert not h.converged
    assert h.epochs == max_epochs
    assert min(h.mistakes) >= 1
    assert not np.array_equal(p.predict(X), d)


def test_xor_weights_cycle_from_zero():
    X, d = xor_data()
    h = Perceptron().fit(X, d, lr=1.0, max_epochs=20)
    cycle = find_cycle(h.weights)
    assert cycle is not None
    start, period = cycle
    assert np.array_equal(h.weights[start], h.weights[start + period])
    for e in range(start, len(h.weights) - period):  # periodic from there on
        assert np.array_equal(h.weights[e], h.weights[e + period])


def test_find_cycle():
    a, b, c = np.array([0.0, 1.0]), np.array([1.0, 1.0]), np.array([2.0, 0.0])
    assert find_cycle([a, b, c, b]) == (1, 2)
    assert find_cycle([a, a]) == (0, 1)
    assert find_cycle([a, b, c]) is None
    assert find_cycle([]) is None


# ---------------------------------------------------------------- bad input

X_GOOD = np.array([[0.0, 1.0], [1.0, 0.0]])
D_GOOD = np.array([0, 1])


@pytest.mark.parametrize(
    ("X", "d", "error", "match"),
    [
        (X_GOOD, [-1, 1], ValueError, "labels d must be 0 or 1"),
        (X_GOOD, [0, 2], ValueError, "labels d must be 0 or 1"),
        (X_GOOD, [0.5, 1], ValueError, "labels d must be 0 or 1"),
        (X_GOOD, [0, 1, 1], ValueError, "2 examples but d has 3"),
        (X_GOOD, [[0, 1]], ValueError, "d must be 1-D"),
        ([[0.0, np.nan], [1.0, 0.0]], D_GOOD, ValueError, "NaN"),
        ([[0.0, np.inf], [1.0, 0.0]], D_GOOD, ValueError, "NaN or inf"),
        (np.zeros((0, 2)), [], ValueError, "X is empty"),
        (np.zeros((2, 0)), D_GOOD, ValueError, "X is empty"),
        ([0.0, 1.0], D_GOOD, ValueError, "X must be 2-D"),
        (np.zeros((2, 2, 1)), D_GOOD, ValueError, "X must be 2-D"),
        ([["a", "b"], ["c", "d"]], D_GOOD, TypeError, "X must be an array of numbers"),
        (X_GOOD, ["a", "b"], TypeError, "d must be an array of labels"),
    ],
)
def test_bad_data_is_rejected(X, d, error, match):
    with pytest.raises(error, match=match):
        check_data(X, d)
    with pytest.raises(error, match=match):
        Perceptron().fit(X, d)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"lr": 0.0}, ValueError, "lr must be"),
        ({"lr": -1.0}, ValueError, "lr must be"),
        ({"lr": float("nan")}, ValueError, "lr must be"),
        ({"lr": "1"}, TypeError, "lr must be"),
        ({"max_epochs": 0}, ValueError, "max_epochs must be"),
        ({"max_epochs": -3}, ValueError, "max_epochs must be"),
        ({"max_epochs": 1.5}, TypeError, "max_epochs must be"),
        ({"max_epochs": True}, TypeError, "max_epochs must be"),
        ({"init": "ones"}, ValueError, "init must be"),
        ({"init": 0}, TypeError, "init must be"),
    ],
)
def test_bad_training_settings_are_rejected(kwargs, error, match):
    with pytest.raises(error, match=match):
        Perceptron().fit(X_GOOD, D_GOOD, **kwargs)


@given(X=float_arrays(st.tuples(st.integers(1, 5), st.integers(1, 4))))
def test_float_data_pass_validation(X):
    d = (np.arange(X.shape[0]) % 2).astype(np.int64)
    X_checked, d_checked = check_data(X, d)
    assert np.array_equal(X_checked, X) and np.array_equal(d_checked, d)


def test_check_inputs():
    assert check_inputs([[1, 2]]).dtype == np.float64
    with pytest.raises(ValueError, match="X must be 2-D"):
        check_inputs(np.zeros(3))
    with pytest.raises(ValueError, match="X is empty"):
        check_inputs(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="NaN"):
        check_inputs([[np.nan]])
    with pytest.raises(TypeError, match="array of numbers"):
        check_inputs([["x"]])


def test_other_bad_input():
    with pytest.raises(ValueError, match="no weights yet"):
        Perceptron().predict(X_GOOD)
    p = Perceptron(w=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        p.predict(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="NaN"):
        p.predict([[np.nan, 0.0]])
    with pytest.raises(TypeError, match="array of numbers"):
        p.predict([["a", "b"]])
    with pytest.raises(ValueError, match="label d must be 0 or 1"):
        p.update([1.0, 1.0], 2)
    with pytest.raises(ValueError, match="one example"):
        p.update(X_GOOD, 1)
    with pytest.raises(ValueError, match="lr must be"):
        p.update([1.0, 1.0], 0, lr=0.0)
    with pytest.raises(ValueError, match="w must be"):
        Perceptron(w=[[1.0, 2.0]])
    with pytest.raises(ValueError, match="w must be"):
        Perceptron(w=[np.nan])
    with pytest.raises(ValueError, match="N must be"):
        make_separable(0)
    with pytest.raises(ValueError, match="n must be"):
        make_separable(10, n=0)
    with pytest.raises(ValueError, match="margin must be"):
        make_separable(10, margin=0.0)
    with pytest.raises(TypeError, match="N must be"):
        make_separable(10.0)
    with pytest.raises(ValueError, match="gamma must be > 0"):
        novikoff_bound(1.0, 0.0)
    with pytest.raises(ValueError, match="w must have 2 entries"):
        separator_margin(X_GOOD, D_GOOD, [1.0], 0.0)
    with pytest.raises(ValueError, match="not all zero"):
        separator_margin(X_GOOD, D_GOOD, [0.0, 0.0], 0.0)
    with pytest.raises(ValueError, match="X must be 2-D"):
        radius([1.0, 2.0])
