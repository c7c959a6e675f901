"""Numerics over the whole float range: finite, warning-free activations and losses, accuracy against
mpmath, and training that stops with a DivergenceError instead of propagating NaN."""

import warnings

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import shapes

from backprop_book import activations as act
from backprop_book.losses import LOSSES, one_hot
from backprop_book.mlp import MLP
from backprop_book.train import DivergenceError, train

BIG = 1e300  # |z| up to this for activations and logits
TINY_NORMAL = np.finfo(np.float64).tiny
SUBNORMAL = np.nextafter(0.0, 1.0)  # 5e-324, the spacing of the subnormal floats


def huge_arrays(shape=None, bound: float = BIG):
    """float64 arrays over [-bound, bound], extremes (±bound, ±0, subnormals) included by hypothesis."""
    return hnp.arrays(np.float64, shapes(1, 3, 5) if shape is None else shape, elements=st.floats(-bound, bound, allow_nan=False, allow_infinity=False))


def probabilities(shape):
    """Arrays in [0, 1] inclusive, with exact 0 and 1 mixed in often."""
    return hnp.arrays(np.float64, shape, elements=st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0)))


def strict(fn, *args):
    """fn(*args) with every warning an error and numpy's overflow/invalid/divide raising."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            return fn(*args)


ELEMENTWISE = [act.sigmoid, act.sigmoid_prime, act.log_sigmoid, act.tanh, act.tanh_prime, act.relu,
               act.relu_prime, act.step, act.identity]


@pytest.mark.parametrize("g", ELEMENTWISE, ids=lambda g: g.__name__)
@given(z=huge_arrays())
def test_elementwise_activations_are_finite(g, z):
    out = strict(g, z)
    assert out.shape == z.shape and out.dtype == np.float64 and np.all(np.isfinite(out))


@given(z=huge_arrays())
def test_sigmoid_family_stays_in_range(z):
    s, ls, t = strict(act.sigmoid, z), strict(act.log_sigmoid, z), strict(act.tanh, z)
    assert np.all((0 <= s) & (s <= 1)) and np.all(ls <= 0) and np.all(np.abs(t) <= 1)
    assert np.all(strict(act.sigmoid_prime, z) <= 0.25) and np.all(strict(act.tanh_prime, z) <= 1)


@given(z=huge_arrays(shapes(1, 3, 6)))
def test_softmax_and_log_softmax_are_finite_and_normalised(z):
    s, ls = strict(act.softmax, z), strict(act.log_softmax, z)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(ls)) and np.all(ls <= 0)
    assert np.allclose(s.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    J = strict(act.softmax_jacobian, z)
    assert np.all(np.isfinite(J))


@pytest.mark.parametrize("name", sorted(act.ACTIVATIONS))
@given(A=huge_arrays(shapes(2, 2, 5)), data=st.data())
def test_every_activation_vjp_is_finite(name, A, data):
    g = act.ACTIVATIONS[name]
    O = strict(g.f, A)  # noqa: E741
    G = data.draw(huge_arrays(st.just(A.shape), bound=1e3))
    assert np.all(np.isfinite(strict(g.vjp, A, O, G)))


@given(z=huge_arrays(shapes(1, 2, 5), bound=1.5e38))
def test_float32_activations_are_finite(z):
    # |z| <= 1.5e38 keeps every gap z_i - max z inside float32 (beyond, log_softmax is honestly -inf)
    z32 = z.astype(np.float32)
    for g in (act.sigmoid, act.log_sigmoid, act.tanh, act.softmax, act.log_softmax):
        out = strict(g, z32)
        assert out.dtype == np.float32 and np.all(np.isfinite(out))


def _targets(loss: str, N: int, r: int, data) -> np.ndarray:
    if loss == "cross_entropy":
        return one_hot(data.draw(hnp.arrays(np.int64, N, elements=st.integers(0, r - 1))), r)
    return data.draw(probabilities((N, r)))


@pytest.mark.parametrize("loss", sorted(LOSSES))
@given(N=st.integers(1, 5), r=st.integers(2, 4), data=st.data())
def test_losses_are_finite_on_probabilities(loss, N, r, data):
    L = LOSSES[loss]
    Y = _targets(loss, N, r, data)
    P = data.draw(probabilities((N, r)))
    if loss == "cross_entropy":  # predictions of a softmax: rows that are distributions
        P = P / P.sum(axis=1, keepdims=True) if np.all(P.sum(axis=1) > 0) else one_hot(np.zeros(N), r)
    E, G = strict(L.value, P, Y), strict(L.grad, P, Y)
    assert np.isfinite(E) and E >= 0 and np.all(np.isfinite(G))
    A = np.zeros((N, r))  # delta only checks A's shape; its value is (Yhat - Y) / N
    assert np.all(np.isfinite(strict(L.delta, A, P, Y)))


@pytest.mark.parametrize("loss", ["cross_entropy", "binary_cross_entropy"])
@given(N=st.integers(1, 5), r=st.integers(2, 4), data=st.data())
def test_losses_from_logits_are_finite_over_the_float_range(loss, N, r, data):
    L = LOSSES[loss]
    A = data.draw(huge_arrays(st.just((N, r))))
    Y = _targets(loss, N, r, data)
    E = strict(L.value_from_logits, A, Y, L.natural_output)
    assert np.isfinite(E) and E >= 0
    Yhat = strict(act.ACTIVATIONS[L.natural_output].f, A)
    assert np.all(np.isfinite(strict(L.delta, A, Yhat, Y, L.natural_output)))
    assert np.all(np.isfinite(strict(L.grad, Yhat, Y)))


@pytest.mark.parametrize("g_o", ["identity", "sigmoid", "tanh", "relu", "softmax"])
@given(N=st.integers(1, 5), r=st.integers(1, 4), data=st.data())
def test_squared_loss_is_finite_where_its_value_is_a_float(g_o, N, r, data):
    # (a - y)^2 / 2 is a float64 for |a| up to about 1e154; beyond, the honest value is inf (no warning)
    L = LOSSES["squared"]
    A = data.draw(huge_arrays(st.just((N, r)), bound=1e150))
    Y = data.draw(probabilities((N, r)))
    Yhat = strict(act.ACTIVATIONS[g_o].f, A)
    assert np.isfinite(strict(L.value_from_logits, A, Y, g_o))
    assert np.all(np.isfinite(strict(L.grad, Yhat, Y)))
    assert np.all(np.isfinite(strict(L.delta, A, Yhat, Y, g_o)))


def test_squared_loss_beyond_the_float_range_is_inf_without_warning():
    assert strict(LOSSES["squared"].value_from_logits, np.array([[1e300]]), np.array([[0.0]])) == np.inf


# --- accuracy against mpmath at 50 digits
mpmath.mp.dps = 50
GRID = np.concatenate([np.linspace(-745.0, 745.0, 2001),
                       [-1e300, -1e20, -800.0, -745.2, -709.8, -40.0, -36.7, -1e-8, -1e-300, -SUBNORMAL, 0.0,
                        SUBNORMAL, 1e-300, 1e-8, 36.7, 40.0, 709.8, 745.2, 800.0, 1e20, 1e300]])


def _sigmoid_ref(z: float) -> mpmath.mpf:
    return 1 / (1 + mpmath.exp(-mpmath.mpf(z)))


def _log_sigmoid_ref(z: float) -> mpmath.mpf:
    return -mpmath.log1p(mpmath.exp(-mpmath.mpf(z)))


def _check_accuracy(value: float, ref: mpmath.mpf) -> float:
    """Relative error where the exact value is a normal float; beyond, within one subnormal spacing."""
    if abs(ref) >= TINY_NORMAL:
        return float(abs((mpmath.mpf(value) - ref) / ref))
    assert abs(mpmath.mpf(value) - ref) <= SUBNORMAL, (value, ref)
    return 0.0


@pytest.mark.parametrize("g, ref", [(act.sigmoid, _sigmoid_ref), (act.log_sigmoid, _log_sigmoid_ref)],
                         ids=["sigmoid", "log_sigmoid"])
def test_accuracy_against_mpmath_on_a_grid(g, ref):
    values = strict(g, GRID)  # vectorised, as the package uses it
    worst = max(_check_accuracy(float(v), ref(float(z))) for z, v in zip(GRID, values, strict=True))
    assert worst <= 1e-14
    scalars = [float(strict(g, float(z))) for z in GRID[::50]]  # and one scalar at a time
    assert scalars == [float(v) for v in values[::50]]


@given(z=st.floats(-745.0, 745.0))
def test_accuracy_against_mpmath_at_random_points(z):
    assert _check_accuracy(float(act.sigmoid(z)), _sigmoid_ref(z)) <= 1e-14
    assert _check_accuracy(float(act.log_sigmoid(z)), _log_sigmoid_ref(z)) <= 1e-14


# --- divergence: a non-finite error stops training with a clear error, never NaN in the history
CONFIGS = [
    ("tanh", "identity", "squared"),
    ("relu", "identity", "squared"),
    ("sigmoid", "softmax", "cross_entropy"),
    ("relu", "sigmoid", "binary_cross_entropy"),
    ("identity", "identity", "squared"),
]


@pytest.mark.parametrize("hidden, output, loss", CONFIGS)
@given(log_lr=st.floats(-1, 12), batch=st.sampled_from([None, 4]), momentum=st.sampled_from([0.0, 0.9]),
       seed=st.integers(0, 3))
def test_training_never_propagates_nan(hidden, output, loss, log_lr, batch, momentum, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(12, 3)) * 10
    r_m = 3 if output == "softmax" else 1
    Y = rng.integers(0, 3, size=12) if loss == "cross_entropy" else (rng.random((12, 1)) > 0.5) * 1.0
    net = MLP((3, 6, r_m), hidden=hidden, output=output, seed=seed)
    seen: list[float] = []
    try:
        history = train(net, X, Y, loss=loss, lr=10.0**log_lr, epochs=8, batch_size=batch,
                        momentum=momentum, seed=seed, progress=False,
                        callback=lambda epoch, n, E: seen.append(E))
    except DivergenceError as err:
        assert isinstance(err, FloatingPointError)
        epoch = int(str(err).split("epoch ")[1].split()[0])
        assert 1 <= epoch <= 8 and "smaller learning rate" in str(err)
        assert len(seen) == epoch - 1  # the callback saw only the finite epochs before it
    else:
        assert len(history.loss) == 8 and history.loss == seen
    assert all(np.isfinite(E) for E in seen)
    assert all(np.all(np.isfinite(p)) for p in list(net.weights) + list(net.biases))


def test_a_huge_learning_rate_is_reported_with_epoch_and_advice():
    X = np.linspace(-3, 3, 32)[:, None]
    net = MLP((1, 8, 1), hidden="identity", output="identity", seed=0)
    with pytest.raises(DivergenceError, match=r"diverged at epoch \d+ with lr=1e\+06.*smaller learning rate"):
        train(net, X, 100 * np.sin(X), lr=1e6, epochs=50, progress=False)
