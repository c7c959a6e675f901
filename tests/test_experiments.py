"""Tests for backprop_book.experiments: skip-connection networks, batched RHW training, the 1986 data sets."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backprop_book.backprop import gradients as mlp_gradients
from backprop_book.experiments import (
    SkipNet,
    binary_code_stats,
    binary_patterns,
    encoder_data,
    mirror_stats,
    package_lr,
    parity_data,
    summarize,
    symmetry_data,
    train_sweeps,
)
from backprop_book.gradcheck import TOL, check_gradient
from backprop_book.perceptron import xor_data
from backprop_book.train import train

XOR_SKIP = [(0, 1), (1, 2), (0, 2)]


def xor():
    X, d = xor_data()
    return X, d[:, None].astype(np.float64)


@st.composite
def architectures(draw):
    """Random sizes (r_0..r_m) and a random valid set of connections (j, k), j < k."""
    m = draw(st.integers(1, 4))
    sizes = tuple(draw(st.lists(st.integers(1, 4), min_size=m + 1, max_size=m + 1)))
    extra = draw(st.lists(st.tuples(st.integers(0, m), st.integers(0, m)), max_size=6))
    conns = {(k - 1, k) for k in range(1, m + 1)} | {(j, k) for j, k in extra if j < k}
    return sizes, sorted(conns)


def grad_check(net, X, Y, loss="squared"):
    theta = net.params()

    def E(t):
        net.set_params(t)
        return net.loss(X, Y, loss)

    def dE(t):
        net.set_params(t)
        return net.flat_gradient(X, Y, loss)

    result = check_gradient(E, dE, theta.copy())
    net.set_params(theta)
    return result


@given(architectures(), st.integers(0, 2**31 - 1), st.integers(1, 5),
       st.sampled_from([("sigmoid", "sigmoid"), ("tanh", "identity"), ("sigmoid", "tanh")]))
def test_skipnet_gradient_matches_central_differences(arch, seed, N, acts):
    sizes, conns = arch
    net = SkipNet(sizes, conns, *acts, init_scale=1.0, seed=seed)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, sizes[0]))
    Y = rng.uniform(size=(N, sizes[-1]))
    result = grad_check(net, X, Y)
    assert result.passed(TOL), str(result)


def test_skipnet_gradient_with_binary_cross_entropy():
    net = SkipNet((2, 1, 1), XOR_SKIP, seed=3, init_scale=2.0)
    X, Y = xor()
    assert grad_check(net, X, Y, "binary_cross_entropy").passed(TOL)


@given(st.lists(st.integers(1, 5), min_size=2, max_size=5), st.integers(0, 2**31 - 1))
def test_chain_skipnet_equals_mlp(sizes, seed):
    net = SkipNet(sizes, seed=seed, init_scale=1.0)
    mlp = net.to_mlp()
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(3, sizes[0])), rng.uniform(size=(3, sizes[-1]))
    np.testing.assert_allclose(net.forward(X), mlp.forward(X), rtol=1e-13)
    dW, db = net.gradients(X, Y)
    dW_mlp, db_mlp = mlp_gradients(mlp, X, Y)
    for k in range(1, len(sizes)):
        np.testing.assert_allclose(dW[(k - 1, k)], dW_mlp[k - 1], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(db[k - 1], db_mlp[k - 1], rtol=1e-12, atol=1e-15)


def test_skipnet_init_is_uniform_in_scale_and_seeded():
    a, b = SkipNet((6, 2, 1), seed=5), SkipNet((6, 2, 1), seed=5)
    theta = a.params()
    assert np.array_equal(theta, b.params())
    assert np.all(np.abs(theta) <= 0.3) and np.abs(theta).max() > 0.2
    assert not np.array_equal(theta, SkipNet((6, 2, 1), seed=6).params())
    assert a.n_params == 6 * 2 + 2 + 2 + 1


def test_skip_connection_changes_the_output():
    net = SkipNet((2, 1, 1), XOR_SKIP, seed=0)
    X, _ = xor()
    before = net.forward_trace(X).A[2]
    net.weights[(0, 2)] += 1.0                          # a^2 grows by x_1 + x_2 through the direct links
    np.testing.assert_allclose(net.forward_trace(X).A[2] - before, X.sum(axis=1, keepdims=True),
                               rtol=1e-12)
    assert net.forward(X[0]).shape == (1,)


def test_train_sweeps_equals_package_train_with_lr_eps_times_N():
    X, Y = xor()
    run = train_sweeps((2, 2, 1), X, Y, epsilon=0.5, alpha=0.9, seeds=[3], max_sweeps=60, tols=(1e-12,))
    mlp = SkipNet((2, 2, 1), seed=3).to_mlp()
    hist = train(mlp, X, Y, lr=package_lr(0.5, 4), epochs=60, momentum=0.9, progress=False)
    for k in (1, 2):
        np.testing.assert_allclose(run.net(0).weights[(k - 1, k)], mlp.weights[k - 1], rtol=0, atol=1e-11)
    np.testing.assert_allclose(run.errors[-1, 0], 4 * hist.loss[-1], rtol=1e-10)


def test_train_sweeps_equals_plain_loop_for_skip_net():
    X, Y = xor()
    run = train_sweeps((2, 1, 1), X, Y, XOR_SKIP, epsilon=0.5, alpha=0.9, seeds=[1, 4],
                       max_sweeps=30, tols=(1e-12,))
    for i, seed in enumerate([1, 4]):
        net = SkipNet((2, 1, 1), XOR_SKIP, seed=seed)
        theta, step = net.params(), np.zeros(net.n_params)
        for _ in range(30):
            step = 0.9 * step - 0.5 * 4 * net.flat_gradient(X, Y)
            theta = theta + step
            net.set_params(theta)
        np.testing.assert_allclose(run.net(i).params(), theta, rtol=0, atol=1e-12)


def test_xor_2_2_1_converges_for_a_fixed_seed():
    X, Y = xor()
    run = train_sweeps((2, 2, 1), X, Y, epsilon=0.5, alpha=0.9, seeds=[0], max_sweeps=3000,
                       tols=(0.5, 0.1))
    assert np.all(run.sweeps[0] > 0)
    assert run.sweeps[0, 0] <= run.sweeps[0, 1]
    assert np.all(np.abs(run.net(0).forward(X) - Y) < 0.1)
    assert run.max_error[0] < 0.1


def test_xor_skip_net_converges_for_a_fixed_seed():
    X, Y = xor()
    run = train_sweeps((2, 1, 1), X, Y, XOR_SKIP, epsilon=0.5, alpha=0.9, seeds=[0], max_sweeps=3000,
                       tols=(0.5, 0.1))
    assert run.sweeps[0, 1] > 0
    net = run.net(0)
    assert np.all(np.abs(net.forward(X) - Y) < 0.1)
    assert np.abs(net.weights[(0, 2)]).max() > 1.0  # the direct connections are used


def test_symmetry_network_learns_mirrored_opposite_weights():
    X, Y = symmetry_data()
    run = train_sweeps((6, 2, 1), X, Y, epsilon=0.1, alpha=0.9, seeds=[1], max_sweeps=3000, tols=(0.5, 0.1))
    assert run.converged(0.1)[0]
    W = run.net(0).weights[(0, 1)]                      # (6 inputs, 2 hidden units)
    scale = np.abs(W).max()
    assert np.all(np.sign(W[:3]) == -np.sign(W[::-1][:3]))  # opposite signs about the middle
    assert np.abs(W + W[::-1]).max() < 0.01 * scale          # equal sizes
    assert np.all(np.sign(W[:, 0]) == -np.sign(W[:, 1]))     # the two units are opposite
    stats = mirror_stats(W)
    assert np.all(stats.defect < 0.01)
    np.testing.assert_allclose(stats.ratios, [[1, 2, 4], [1, 2, 4]], rtol=0.05)


def test_stalled_seed_is_reported_as_not_converged():
    X, Y = xor()
    run = train_sweeps((2, 2, 1), X, Y, epsilon=0.5, alpha=0.9, seeds=[0, 11], max_sweeps=3000,
                       tols=(0.5, 0.1))
    # seed 11 ends in the XOR local minimum: two outputs at 1/2, E_RHW = 0.25, no progress
    assert run.converged(0.5)[0] and not run.converged(0.5)[1]
    assert np.all(run.sweeps[1] == -1)
    assert abs(run.max_error[1] - 0.5) < 0.01 and run.grad_norm[1] < 1e-3
    assert abs(run.errors[-1, 1] - 0.25) < 0.01 and run.errors.shape[0] == 3001
    assert np.isnan(run.errors[-1, 0])                   # seed 0 was frozen when it converged
    sm = summarize(run, 0.5)
    assert sm.n_seeds == 2 and sm.n_converged == 1


def test_summarize_counts_and_quantiles():
    X, Y = xor()
    run = train_sweeps((2, 2, 1), X, Y, seeds=range(4), max_sweeps=2000, tols=(0.5, 0.1))
    for tol in (0.5, 0.1):
        sm = summarize(run, tol)
        s = run.sweeps[run.converged(tol), run.tols.index(tol)]
        assert sm.n_converged == s.size
        if s.size:
            assert sm.low == s.min() and sm.high == s.max() and sm.q25 <= sm.median <= sm.q75
    with pytest.raises(ValueError, match="tol"):
        summarize(run, 0.3)


def test_errors_history_is_summed_error_and_frozen_after_convergence():
    X, Y = xor()
    run = train_sweeps((2, 2, 1), X, Y, seeds=[0], max_sweeps=3000, tols=(0.5, 0.1))
    net0 = SkipNet((2, 2, 1), seed=0)
    assert np.isclose(run.errors[0, 0], 4 * net0.loss(X, Y))       # E_RHW = N E at sweep 0
    stop = run.sweeps[0, 1]
    assert run.errors.shape[0] == stop + 1 and not np.isnan(run.errors[stop, 0])


def test_data_sets():
    X, Y = symmetry_data()
    assert X.shape == (64, 6) and Y.shape == (64, 1) and Y.sum() == 8
    assert np.all(Y[:, 0] == np.all(X == X[:, ::-1], axis=1))
    Xp, Yp = parity_data(3)
    assert Xp.shape == (8, 3) and np.array_equal(Yp[:, 0], [0, 1, 1, 0, 1, 0, 0, 1])
    Xe, Ye = encoder_data(8)
    assert np.array_equal(Xe, np.eye(8)) and np.array_equal(Ye, np.eye(8))
    assert np.array_equal(binary_patterns(2), xor()[0])
    assert len({tuple(r) for r in binary_patterns(5)}) == 32


def test_mirror_and_code_stats():
    W = np.array([[1.0, -1.0], [-2.0, 2.0], [4.0, -4.0], [-4.0, 4.0], [2.0, -2.0], [-1.0, 1.0]])
    s = mirror_stats(W)
    assert np.all(s.defect == 0) and s.opposition == 0
    np.testing.assert_allclose(s.ratios, [[1, 2, 4], [1, 2, 4]])
    assert mirror_stats(np.abs(W)).defect.min() == 2.0
    assert binary_code_stats(np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]])) == (4 / 6, 3)


def test_package_lr():
    assert package_lr(0.1, 64) == pytest.approx(6.4)
    with pytest.raises(ValueError, match="epsilon"):
        package_lr(-0.1, 4)
    with pytest.raises(ValueError, match="N"):
        package_lr(0.1, 0)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(sizes=(2,)), ValueError, "sizes"),
    (dict(sizes=(2, 0, 1)), ValueError, "r_1"),
    (dict(sizes=(2, 1.5, 1)), TypeError, "r_1"),
    (dict(sizes="21"), TypeError, "sizes"),
    (dict(sizes=(2, 1, 1), connections=[(0, 2)]), ValueError, "layer 1 receives no connection"),
    (dict(sizes=(2, 1, 1), connections=[(0, 1), (0, 2)]), ValueError, "layer 1 feeds no later layer"),
    (dict(sizes=(2, 1, 1), connections=[(0, 1), (1, 2), (2, 1)]), ValueError, "0 <= j < k"),
    (dict(sizes=(2, 1, 1), connections=[(0, 1), (1, 2), (0, 3)]), ValueError, "0 <= j < k"),
    (dict(sizes=(2, 1, 1), connections=[(0, 1, 2)]), TypeError, "pair"),
    (dict(sizes=(2, 1, 1), connections=5), TypeError, "connections"),
    (dict(sizes=(2, 1, 1), hidden="softmax"), ValueError, "hidden"),
    (dict(sizes=(2, 1, 1), hidden="nope"), ValueError, "nope"),
    (dict(sizes=(2, 1, 1), init_scale=-1.0), ValueError, "init_scale"),
    (dict(sizes=(2, 1, 1), seed=1.5), TypeError, "seed"),
])
def test_skipnet_rejects_bad_construction(kwargs, error, match):
    with pytest.raises(error, match=match):
        SkipNet(**kwargs)


def test_skipnet_rejects_bad_data():
    net = SkipNet((2, 1, 1), XOR_SKIP)
    X, Y = xor()
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\)"):
        net.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match="X"):
        net.forward(np.ones((0, 2)))
    with pytest.raises(ValueError, match="NaN"):
        net.forward(np.array([[np.nan, 1.0]]))
    with pytest.raises(TypeError, match="real numbers"):
        net.forward(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="Y"):
        net.loss(X, np.ones((3, 1)))
    with pytest.raises(ValueError, match="loss"):
        net.loss(X, Y, "nope")
    with pytest.raises(ValueError, match="theta"):
        net.set_params(np.ones(3))
    with pytest.raises(ValueError, match="theta"):
        net.set_params(np.full(net.n_params, np.nan))
    with pytest.raises(ValueError, match="chain"):
        net.to_mlp()


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(epsilon=0.0), ValueError, "epsilon"),
    (dict(epsilon=float("nan")), ValueError, "epsilon"),
    (dict(alpha=1.0), ValueError, "alpha"),
    (dict(alpha=-0.1), ValueError, "alpha"),
    (dict(seeds=[]), ValueError, "seeds"),
    (dict(seeds=[1.5]), TypeError, "seeds"),
    (dict(seeds="12"), TypeError, "seeds"),
    (dict(max_sweeps=0), ValueError, "max_sweeps"),
    (dict(tols=()), ValueError, "tols"),
    (dict(tols=(0.5, 0.0)), ValueError, "tols"),
    (dict(tols=(1.5,)), ValueError, "tols"),
])
def test_train_sweeps_rejects_bad_settings(kwargs, error, match):
    X, Y = xor()
    with pytest.raises(error, match=match):
        train_sweeps((2, 2, 1), X, Y, **kwargs)


def test_train_sweeps_rejects_bad_data():
    X, Y = xor()
    with pytest.raises(ValueError, match="Y"):
        train_sweeps((2, 2, 1), X, Y[:3])
    with pytest.raises(ValueError, match="X"):
        train_sweeps((3, 2, 1), X, Y)


def test_data_functions_reject_bad_sizes():
    for fn, bad in [(symmetry_data, 1), (parity_data, 0), (encoder_data, 1), (binary_patterns, 17),
                    (symmetry_data, 2.0), (parity_data, True)]:
        with pytest.raises(ValueError):
            fn(bad)
    with pytest.raises(ValueError, match="even"):
        mirror_stats(np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        binary_code_stats(np.array([[1.5]]))
