"""The bad-input matrix: every public function and method of the package fed its plausible mistakes.

Each row of `CASES` is one mistake: a call that must raise `ValueError` or `TypeError` (exactly those
types, not a numpy subclass such as AxisError) from the package's own code, with a message that names
the argument and what was expected. To cover a new function, add rows to the table.
`ACCEPTED` lists the documented conversions (integer inputs where floats are needed) that must work.
"""

import importlib
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import backprop_book
from backprop_book import activations as act
from backprop_book import autodiff as ad
from backprop_book import backprop as bp
from backprop_book import cost as co
from backprop_book import experiments as ex
from backprop_book import gradcheck as gc
from backprop_book import losses as ls
from backprop_book import perceptron as pc
from backprop_book import train as tr
from backprop_book.mlp import MLP, check_input, forward_node_by_node, linear_collapse

PACKAGE_DIR = Path(backprop_book.__file__).resolve().parent

# Phrases of numpy's and Python's own errors: none may reach a user of the package.
RAW_PHRASES = (
    "could not be broadcast", "operands could not", "not aligned", "matmul: Input operand",
    "index out of bounds", "out of bounds for axis", "could not convert string", "setting an array element",
    "inhomogeneous", "zero-dimensional arrays cannot", "object has no attribute", "not subscriptable",
    "is not iterable", "unsupported operand", "ufunc", "float() argument", "int() argument",
    "argument 2 is shorter", "argument 2 is longer", "cannot reshape",
)

# Fixtures: small networks and data. Every call that mutates builds its own network.
X4 = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y4 = np.array([[0.0], [1.0], [1.0], [0.0]])
D4 = np.array([0, 1, 1, 0])
NET = MLP((2, 3, 1), hidden="sigmoid", output="identity", seed=0)
NET_SM = MLP((2, 3, 3), hidden="tanh", output="softmax", seed=0)
NET_BCE = MLP((2, 3, 1), hidden="tanh", output="sigmoid", seed=0)
LABELS3 = np.array([0, 1, 2, 1])
P3 = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
T3 = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
PERC = pc.Perceptron(w=[1.0, -1.0], b=0.5)
SKIP = ex.SkipNet((2, 2, 1), connections=[(0, 1), (1, 2), (0, 2)], seed=0)
W_MIRROR = np.array([[1.0, -2.0], [2.0, 1.0], [-2.0, -1.0], [-1.0, 2.0]])


def _run() -> ex.SweepRun:
    X, Y = ex.parity_data(2)
    return ex.train_sweeps((2, 2, 1), X, Y, seeds=[0], max_sweeps=3, tols=(0.5,))


RUN = _run()


def _set_weight(index: int, value: Any, attr: str = "weights") -> None:
    net = MLP((2, 3, 1), seed=0)
    getattr(net, attr)[index] = value


def _set_all(value: Any, attr: str = "weights") -> None:
    net = MLP((2, 3, 1), seed=0)
    setattr(net, attr, value)


def _set_flat(theta: Any) -> None:
    bp.set_flat_params(MLP((2, 3, 1), seed=0), theta)


def _set_skip(theta: Any) -> None:
    ex.SkipNet((2, 2, 1), seed=0).set_params(theta)


def _train(net: MLP | None = None, X: Any = X4, Y: Any = Y4, **kwargs: Any) -> None:
    tr.train(MLP((2, 3, 1), seed=0) if net is None else net, X, Y, progress=False, **kwargs)


@dataclass(frozen=True)
class Case:
    """One mistake: `call()` must raise `error` with a message matching `match` (re.search)."""

    id: str
    call: Callable[[], object]
    error: type[Exception]
    match: str
    xfail: str = ""  # reason, for a known failure in a module this test's author may not edit


V, T = ValueError, TypeError
SHAPE_N2 = r"\(N, 2\)"

CASES: list[Case] = [
    # ---- gradcheck
    Case("gc.numerical_gradient/list", lambda: gc.numerical_gradient(np.sum, [1.0, 2.0]), T, r"x must be a numpy array"),
    Case("gc.numerical_gradient/int", lambda: gc.numerical_gradient(np.sum, np.arange(3)), T, r"x must have a floating dtype"),
    Case("gc.numerical_gradient/empty", lambda: gc.numerical_gradient(np.sum, np.zeros(0)), V, r"x is empty"),
    Case("gc.numerical_gradient/nan", lambda: gc.numerical_gradient(np.sum, np.array([np.nan])), V, r"x contains NaN"),
    Case("gc.numerical_gradient/h=0", lambda: gc.numerical_gradient(np.sum, np.ones(2), h=0.0), V, r"h must be a positive"),
    Case("gc.numerical_gradient/f-vector", lambda: gc.numerical_gradient(lambda x: x, np.ones(2)), V, r"f must return a scalar"),
    Case("gc.relative_error/shapes", lambda: gc.relative_error(np.ones(2), np.ones(3)), V, r"a and n must have the same shape"),
    Case("gc.relative_error/tiny=0", lambda: gc.relative_error(1.0, 1.0, tiny=0.0), V, r"tiny must be a positive"),
    Case("gc.relative_error/str", lambda: gc.relative_error(["a"], [1.0]), T, r"\ba\b.*real numbers"),
    Case("gc.check_gradient/grad-shape", lambda: gc.check_gradient(np.sum, lambda x: x[:1], np.ones(2)), V, r"grad_f\(x\) must have the shape of x"),
    Case("gc.check_gradient/complex", lambda: gc.check_gradient(np.sum, np.ones_like, np.ones(2, complex)), T, r"x must have a floating dtype"),
    # ---- perceptron
    Case("pc.check_inputs/1d", lambda: pc.check_inputs([1.0, 2.0]), V, r"X must be 2-D of shape \(N, n\)"),
    Case("pc.check_inputs/empty", lambda: pc.check_inputs(np.zeros((0, 2))), V, r"X is empty"),
    Case("pc.check_inputs/nan", lambda: pc.check_inputs([[np.nan, 1.0]]), V, r"X contains NaN"),
    Case("pc.check_inputs/complex", lambda: pc.check_inputs(np.ones((2, 2), complex)), T, r"X must .*real numbers"),
    Case("pc.check_inputs/object", lambda: pc.check_inputs([[None, 1.0]]), T, r"X must .*numbers"),
    Case("pc.check_inputs/str", lambda: pc.check_inputs([["1", "2"]]), T, r"X must .*real numbers"),
    Case("pc.check_data/N", lambda: pc.check_data(X4, D4[:3]), V, r"X has 4 examples but d has 3 labels"),
    Case("pc.check_data/d-2d", lambda: pc.check_data(X4, D4[:, None]), V, r"d must be 1-D of shape \(N,\) = \(4,\)"),
    Case("pc.check_data/label=2", lambda: pc.check_data(X4, [0, 1, 2, 0]), V, r"labels d must be 0 or 1"),
    Case("pc.check_data/d-str", lambda: pc.check_data(X4, ["a", "b", "c", "d"]), T, r"d must be .*labels in \{0, 1\}"),
    Case("pc.augment/scalar", lambda: pc.augment(np.float64(3.0)), V, r"X must .*\(N, n\)"),
    Case("pc.Perceptron/w-2d", lambda: pc.Perceptron(w=[[1.0, 2.0]]), V, r"w must be a non-empty finite 1-D array"),
    Case("pc.Perceptron/w-nan", lambda: pc.Perceptron(w=[np.nan]), V, r"w must be a non-empty finite 1-D array"),
    Case("pc.Perceptron/b-str", lambda: pc.Perceptron(w=[1.0], b="x"), T, r"b must be a (finite|real) number"),
    Case("pc.Perceptron/b-nan", lambda: pc.Perceptron(w=[1.0], b=np.nan), V, r"b must be finite"),
    Case("pc.Perceptron.predict/unfitted", lambda: pc.Perceptron().predict(X4), V, r"no weights yet: call fit"),
    Case("pc.Perceptron.predict/features", lambda: PERC.predict(np.ones((3, 3))), V, r"X must have shape \(N, 2\) or \(2,\)"),
    Case("pc.Perceptron.predict/3d", lambda: PERC.predict(np.ones((1, 3, 2))), V, r"X must have shape \(N, 2\)"),
    Case("pc.Perceptron.activation/nan", lambda: PERC.activation([np.inf, 0.0]), V, r"X contains NaN or inf"),
    Case("pc.Perceptron.activation/complex", lambda: PERC.activation(np.ones(2, complex)), T, r"X must .*real numbers"),
    Case("pc.Perceptron.update/lr=0", lambda: pc.Perceptron(w=[1.0, 1.0]).update([1.0, 0.0], 0, lr=0.0), V, r"lr must be a finite number > 0"),
    Case("pc.Perceptron.update/d=2", lambda: pc.Perceptron(w=[1.0, 1.0]).update([1.0, 0.0], 2), V, r"label d must be 0 or 1"),
    Case("pc.Perceptron.update/batch", lambda: pc.Perceptron(w=[1.0, 1.0]).update(X4, 1), V, r"one example x of shape \(2,\)"),
    Case("pc.Perceptron.fit/lr<0", lambda: pc.Perceptron().fit(X4, D4, lr=-1.0), V, r"lr must be a finite number > 0"),
    Case("pc.Perceptron.fit/lr-str", lambda: pc.Perceptron().fit(X4, D4, lr="1"), T, r"lr must be a positive number"),
    Case("pc.Perceptron.fit/epochs=0", lambda: pc.Perceptron().fit(X4, D4, max_epochs=0), V, r"max_epochs must be an integer >= 1"),
    Case("pc.Perceptron.fit/epochs-float", lambda: pc.Perceptron().fit(X4, D4, max_epochs=2.5), T, r"max_epochs must be an integer >= 1"),
    Case("pc.Perceptron.fit/init", lambda: pc.Perceptron().fit(X4, D4, init="ones"), V, r"init must be 'zeros' or 'random'"),
    Case("pc.Perceptron.fit/N", lambda: pc.Perceptron().fit(X4, D4[:2]), V, r"X has 4 examples but d has 2 labels"),
    Case("pc.make_separable/N=0", lambda: pc.make_separable(0), V, r"N must be an integer >= 1"),
    Case("pc.make_separable/margin=0", lambda: pc.make_separable(10, margin=0.0), V, r"margin must be a finite number > 0"),
    Case("pc.radius/empty", lambda: pc.radius(np.zeros((0, 2))), V, r"X is empty"),
    Case("pc.separator_margin/w-size", lambda: pc.separator_margin(X4, D4, [1.0, 2.0, 3.0], 0.0), V, r"w must have 2 entries"),
    Case("pc.separator_margin/zero", lambda: pc.separator_margin(X4, D4, [0.0, 0.0], 0.0), V, r"separator \(w, b\) must be finite and not all zero"),
    Case("pc.novikoff_bound/gamma=0", lambda: pc.novikoff_bound(2.0, 0.0), V, r"gamma must be > 0"),
    Case("pc.novikoff_bound/R<0", lambda: pc.novikoff_bound(-1.0, 0.5), V, r"R must be a finite number > 0"),
    Case("pc.max_margin/tol=0", lambda: pc.max_margin(X4[1:3], D4[1:3], tol=0.0), V, r"tol must be a finite number > 0"),
    Case("pc.max_margin/xor", lambda: pc.max_margin(X4, D4, max_iter=50), V, r"not linearly separable"),
    Case("pc.find_cycle/int", lambda: pc.find_cycle(5), T, r"thetas must be a sequence of weight vectors"),
    # ---- activations
    Case("act.sigmoid/object", lambda: act.sigmoid(np.array([1.0, None])), T, r"z must hold real numbers \(float, int or bool\); got dtype"),
    Case("act.sigmoid/complex", lambda: act.sigmoid(np.ones(2, complex)), T, r"z must hold real numbers \(float, int or bool\); got dtype"),
    Case("act.tanh/str", lambda: act.tanh("1.0"), T, r"z must be an array of real numbers; got str"),
    Case("act.relu_prime/complex", lambda: act.relu_prime(1j), T, r"z must hold real numbers \(float, int or bool\); got dtype"),
    Case("act.log_sigmoid/object", lambda: act.log_sigmoid([None]), T, r"z must hold real numbers \(float, int or bool\); got dtype"),
    Case("act.softmax/scalar", lambda: act.softmax(1.0), V, r"z must have at least one axis"),
    Case("act.softmax/empty", lambda: act.softmax(np.zeros((2, 0))), V, r"z .*at least one class on the last axis"),
    Case("act.log_softmax/scalar", lambda: act.log_softmax(np.float64(2.0)), V, r"z must have at least one axis"),
    Case("act.softmax_jacobian/complex", lambda: act.softmax_jacobian(np.ones(3, complex)), T, r"z must hold real numbers \(float, int or bool\); got dtype"),
    Case("act.get_activation/unknown", lambda: act.get_activation("sigmoidd"), V, r"unknown activation 'sigmoidd'.*'relu'.*'sigmoid'"),
    Case("act.get_activation/int", lambda: act.get_activation(3), T, r"activation name must be a str"),
    # ---- mlp: construction
    Case("MLP/sizes-short", lambda: MLP((2,)), V, r"sizes must list at least two layer sizes"),
    Case("MLP/sizes-zero", lambda: MLP((2, 0, 1)), V, r"sizes\[1\] = r_1 must be at least 1"),
    Case("MLP/sizes-float", lambda: MLP((2, 1.5, 1)), T, r"sizes\[1\] = r_1 must be an int"),
    Case("MLP/sizes-str", lambda: MLP("231"), T, r"sizes must be a sequence of layer sizes"),
    Case("MLP/hidden-softmax", lambda: MLP((2, 2, 1), hidden="softmax"), V, r"cannot be a hidden activation.*'sigmoid'"),
    Case("MLP/hidden-unknown", lambda: MLP((2, 2, 1), hidden="swish"), V, r"unknown activation 'swish'; valid names"),
    Case("MLP/output-unknown", lambda: MLP((2, 2, 1), output="linear"), V, r"unknown activation 'linear'; valid names"),
    Case("MLP/dtype-int", lambda: MLP((2, 1), dtype=np.int32), V, r"dtype must be np.float32 or np.float64"),
    Case("MLP/dtype-complex", lambda: MLP((2, 1), dtype=complex), V, r"dtype must be np.float32 or np.float64"),
    Case("MLP/seed-str", lambda: MLP((2, 1), seed="0"), T, r"seed must be an int or None"),
    # ---- mlp: forward and check_input
    Case("MLP.forward/features", lambda: NET.forward(np.ones((4, 3))), V, r"X must have shape \(N, 2\)"),
    Case("MLP.forward/3d", lambda: NET.forward(np.ones((4, 2, 1))), V, r"X must have shape \(N, 2\)"),
    Case("MLP.forward/empty", lambda: NET.forward(np.zeros((0, 2))), V, r"X is empty.*at least one example"),
    Case("MLP.forward/nan", lambda: NET.forward([[1.0, np.nan]]), V, r"X contains NaN or inf"),
    Case("MLP.forward/inf", lambda: NET.forward([[np.inf, 1.0]]), V, r"X contains NaN or inf"),
    Case("MLP.forward/object", lambda: NET.forward(np.array([[1.0, None]])), T, r"X must hold real numbers"),
    Case("MLP.forward/complex", lambda: NET.forward(np.ones((1, 2), complex)), T, r"X must hold real numbers"),
    Case("MLP.forward/ragged", lambda: NET.forward([[1.0, 2.0], [1.0]]), V, r"X must be a rectangular array"),
    Case("MLP.forward/str", lambda: NET.forward("12"), T, r"X must be an array of real numbers"),
    Case("MLP.forward_trace/vector", lambda: NET.forward_trace(np.ones(3)), V, r"X must have shape \(N, 2\)"),
    Case("MLP.forward/float32-overflow", lambda: MLP((2, 1), dtype=np.float32).forward([[1e300, 0.0]]), V, r"X has values too large for float32"),
    Case("mlp.check_input/name", lambda: check_input(NET, np.ones((2, 5)), name="Z"), V, r"Z must have shape \(N, 2\)"),
    Case("mlp.forward_node_by_node/batch", lambda: forward_node_by_node(NET, X4), V, r"x must be ONE example of shape \(2,\)"),
    Case("mlp.forward_node_by_node/size", lambda: forward_node_by_node(NET, np.ones(3)), V, r"x must have shape \(N, 2\)"),
    Case("mlp.linear_collapse/sigmoid", lambda: linear_collapse(NET), V, r"linear_collapse needs identity activations"),
    # ---- mlp: weights and biases assigned to a network
    Case("MLP.weights[0]/shape", lambda: _set_weight(0, np.zeros((3, 3))), V, r"W\^1 \(net.weights\[0\]\) must have shape \(2, 3\) = \(r_0, r_1\)"),
    Case("MLP.weights[1]/transposed", lambda: _set_weight(1, np.zeros((1, 3))), V, r"W\^2 \(net.weights\[1\]\) must have shape \(3, 1\)"),
    Case("MLP.weights[0]/nan", lambda: _set_weight(0, np.full((2, 3), np.nan)), V, r"W\^1 .*contains NaN or inf"),
    Case("MLP.weights[0]/complex", lambda: _set_weight(0, np.zeros((2, 3), complex)), T, r"W\^1 .*real numbers"),
    Case("MLP.weights[0]/str", lambda: _set_weight(0, "zeros"), T, r"W\^1 .*array of real numbers"),
    Case("MLP.weights/count", lambda: _set_all([np.zeros((2, 3))]), V, r"net.weights must be a list of 2 arrays"),
    Case("MLP.weights/array", lambda: _set_all(np.zeros((2, 3))), T, r"net.weights must be a list of 2 arrays"),
    Case("MLP.biases[0]/shape", lambda: _set_weight(0, np.zeros((3, 1)), "biases"), V, r"b\^1 \(net.biases\[0\]\) must have shape \(3,\) = \(r_1,\)"),
    Case("MLP.biases/count", lambda: _set_all([np.zeros(3)] * 3, "biases"), V, r"net.biases must be a list of 2 arrays"),
    Case("MLP.weights/append", lambda: MLP((2, 1)).weights.append(np.zeros((2, 1))), T, r"net.weights .*length and order are fixed"),
    # ---- losses
    Case("ls.squared_value/shapes", lambda: ls.squared_value(np.ones((4, 1)), np.ones((4, 2))), V, r"Y has shape \(4, 2\) but Yhat has shape \(4, 1\); both must be \(N, r_m\)"),
    Case("ls.squared_value/N", lambda: ls.squared_value(np.ones((4, 1)), np.ones((3, 1))), V, r"Y has shape \(3, 1\) but Yhat has shape \(4, 1\)"),
    Case("ls.squared_value/1d", lambda: ls.squared_value(np.ones(4), np.ones(4)), V, r"Yhat must be 2-D with shape \(N, r_m\)"),
    Case("ls.squared_value/empty", lambda: ls.squared_value(np.ones((0, 1)), np.ones((0, 1))), V, r"Yhat is empty"),
    Case("ls.squared_value/nan", lambda: ls.squared_value([[np.nan]], [[1.0]]), V, r"Yhat contains NaN or inf"),
    Case("ls.squared_value/object", lambda: ls.squared_value(np.array([[None]]), [[1.0]]), T, r"Yhat must hold real numbers"),
    Case("ls.squared_grad/complex", lambda: ls.squared_grad([[1.0]], np.ones((1, 1), complex)), T, r"Y must hold real numbers"),
    Case("ls.squared_grad/str", lambda: ls.squared_grad("1", [[1.0]]), T, r"Yhat must be an array of real numbers; got str"),
    Case("ls.cross_entropy_value/prob", lambda: ls.cross_entropy_value(P3 * 2, T3), V, r"Yhat must hold probabilities in \[0, 1\]"),
    Case("ls.cross_entropy_value/rows", lambda: ls.cross_entropy_value(P3, T3 * 0.5), V, r"each row of Y must sum to 1"),
    Case("ls.cross_entropy_grad/neg", lambda: ls.cross_entropy_grad(-P3, T3), V, r"Yhat must hold probabilities in \[0, 1\]"),
    Case("ls.binary_cross_entropy_value/Y=2", lambda: ls.binary_cross_entropy_value([[0.5]], [[2.0]]), V, r"Y must hold probabilities in \[0, 1\]"),
    Case("ls.binary_cross_entropy_grad/Yhat", lambda: ls.binary_cross_entropy_grad([[1.5]], [[1.0]]), V, r"Yhat must hold probabilities in \[0, 1\]"),
    Case("ls.cross_entropy_value_from_logits/g_o", lambda: ls.cross_entropy_value_from_logits(P3, T3, "sigmoid"), V, r"loss 'cross_entropy' needs output activation 'softmax'"),
    Case("ls.binary_cross_entropy_value_from_logits/Y", lambda: ls.binary_cross_entropy_value_from_logits([[0.5]], [[-1.0]]), V, r"Y must hold probabilities in \[0, 1\]"),
    Case("ls.squared_value_from_logits/g_o-int", lambda: ls.squared_value_from_logits([[0.5]], [[1.0]], 5), T, r"g_o must be None, an activation name or an Activation"),
    Case("ls.squared_value_from_logits/g_o-name", lambda: ls.squared_value_from_logits([[0.5]], [[1.0]], "sigmod"), V, r"unknown activation 'sigmod'; valid names"),
    Case("ls.squared_delta/A-shape", lambda: ls.squared_delta(np.ones((2, 2)), np.ones((2, 1)), np.ones((2, 1))), V, r"Y has shape \(2, 1\) but A has shape \(2, 2\)"),
    Case("ls.cross_entropy_delta/Yhat", lambda: ls.cross_entropy_delta(P3, P3[:1], T3), V, r"Y has shape \(2, 3\) but Yhat has shape \(1, 3\)"),
    Case("ls.binary_cross_entropy_delta/g_o", lambda: ls.binary_cross_entropy_delta([[0.0]], [[0.5]], [[1.0]], "softmax"), V, r"needs output activation 'sigmoid'"),
    Case("ls.get_loss/unknown", lambda: ls.get_loss("mse"), V, r"unknown loss 'mse'; valid names: \['binary_cross_entropy', 'cross_entropy', 'squared'\]"),
    Case("ls.get_loss/None", lambda: ls.get_loss(None), T, r"loss name must be a string, one of"),
    Case("ls.check_compatible/ce-sigmoid", lambda: ls.check_compatible("cross_entropy", "sigmoid"), V, r"needs output activation 'softmax', got 'sigmoid'"),
    Case("ls.check_compatible/unknown-output", lambda: ls.check_compatible("squared", "swish"), V, r"unknown activation 'swish'"),
    Case("ls.one_hot/range", lambda: ls.one_hot([0, 3], 3), V, r"labels must lie in 0..2 \(n_classes=3\)"),
    Case("ls.one_hot/negative", lambda: ls.one_hot([-1, 0], 3), V, r"labels must lie in 0..2"),
    Case("ls.one_hot/fraction", lambda: ls.one_hot([0.5], 3), V, r"labels must be whole numbers"),
    Case("ls.one_hot/2d", lambda: ls.one_hot([[0, 1]], 3), V, r"labels must be a non-empty 1-D array"),
    Case("ls.one_hot/empty", lambda: ls.one_hot([], 3), V, r"labels must be a non-empty 1-D array"),
    Case("ls.one_hot/nan", lambda: ls.one_hot([np.nan], 3), V, r"labels contain NaN"),
    Case("ls.one_hot/n_classes=0", lambda: ls.one_hot([0], 0), V, r"n_classes must be at least 1"),
    Case("ls.one_hot/n_classes-float", lambda: ls.one_hot([0], 2.0), T, r"n_classes must be an int"),
    Case("ls.as_targets/width", lambda: ls.as_targets(np.ones((4, 2)), 1, "squared"), V, r"Y must have shape \(N, 1\)"),
    Case("ls.as_targets/n_outputs", lambda: ls.as_targets(np.ones((4, 1)), 0, "squared"), V, r"n_outputs must be a positive int"),
    Case("ls.as_targets/labels", lambda: ls.as_targets([0, 5], 3, "cross_entropy"), V, r"labels must lie in 0..2"),
    Case("ls.as_targets/ce-one-output", lambda: ls.as_targets([[1.0]], 1, "cross_entropy"), V, r"cross_entropy with one softmax output"),
    Case("ls.as_targets/loss", lambda: ls.as_targets([[1.0]], 1, "hinge"), V, r"unknown loss 'hinge'"),
    # ---- backprop (nbs/07_backprop.ipynb)
    Case("bp.check_data/net", lambda: bp.check_data("net", X4, Y4), T, r"net must be an MLP"),
    Case("bp.loss/N", lambda: bp.loss(NET, X4, Y4[:3]), V, r"Y must hold one target row per example of X: expected shape \(4, 1\)"),
    Case("bp.loss/features", lambda: bp.loss(NET, np.ones((4, 3)), Y4), V, r"X must have shape \(N, 2\)"),
    Case("bp.loss/width", lambda: bp.loss(NET, X4, np.ones((4, 2))), V, r"Y must have shape \(N, 1\)"),
    Case("bp.loss/unknown", lambda: bp.loss(NET, X4, Y4, loss="mse"), V, r"unknown loss 'mse'"),
    Case("bp.loss/ce-identity", lambda: bp.loss(NET, X4, Y4, loss="cross_entropy"), V, r"needs output activation 'softmax', got 'identity'"),
    Case("bp.loss/Y-object", lambda: bp.loss(NET, X4, np.array([[None]] * 4)), T, r"Y must hold real numbers"),
    Case("bp.gradients/Y-nan", lambda: bp.gradients(NET, X4, np.full((4, 1), np.nan)), V, r"Y contains NaN or inf"),
    Case("bp.gradients/labels", lambda: bp.gradients(NET_SM, X4, [0, 1, 2, 3], loss="cross_entropy"), V, r"labels must lie in 0..2"),
    Case("bp.gradients/Y-empty", lambda: bp.gradients(NET, X4, np.zeros((0, 1))), V, r"Y is empty|expected shape \(4, 1\)"),
    Case("bp.gradients/bce-Y", lambda: bp.gradients(NET_BCE, X4, Y4 * 3, loss="binary_cross_entropy"), V, r"Y must hold probabilities in \[0, 1\]"),
    Case("bp.gradients_node_by_node/3d", lambda: bp.gradients_node_by_node(NET, np.ones((4, 2, 1)), Y4), V, r"X must have shape \(N, 2\)"),
    Case("bp.backward/trace", lambda: bp.backward(NET, "trace", Y4), T, r"trace must be the Trace of net.forward_trace\(X\)"),
    Case("bp.backward/Y", lambda: bp.backward(NET, NET.forward_trace(X4), Y4[:2]), V, r"expected shape \(4, 1\)"),
    Case("bp.output_deltas/loss-name", lambda: bp.output_deltas(NET, "squared", np.zeros(1), np.zeros(1), np.zeros(1)), T, r"loss_fn must be a Loss"),
    Case("bp.flatten/lengths", lambda: bp.flatten(NET.weights, NET.biases[:1]), V, r"weights and biases must .*same number"),
    Case("bp.set_flat_params/length", lambda: _set_flat(np.zeros(5)), V, r"theta must have shape \(13,\)"),
    Case("bp.set_flat_params/nan", lambda: _set_flat(np.full(13, np.nan)), V, r"theta must hold finite numbers"),
    Case("bp.set_flat_params/complex", lambda: _set_flat(np.zeros(13, complex)), T, r"theta must hold real numbers"),
    # ---- train (nbs/08_training.ipynb)
    Case("tr.train/lr=0", lambda: _train(lr=0.0), V, r"lr \(the learning rate\) must be positive and finite"),
    Case("tr.train/lr<0", lambda: _train(lr=-0.1), V, r"lr \(the learning rate\) must be positive"),
    Case("tr.train/lr-nan", lambda: _train(lr=float("nan")), V, r"lr \(the learning rate\) must be positive and finite"),
    Case("tr.train/lr-str", lambda: _train(lr="0.1"), T, r"lr must be a real number"),
    Case("tr.train/epochs=0", lambda: _train(epochs=0), V, r"epochs must be at least 1"),
    Case("tr.train/epochs<0", lambda: _train(epochs=-5), V, r"epochs must be at least 1"),
    Case("tr.train/epochs-float", lambda: _train(epochs=10.0), T, r"epochs must be an integer"),
    Case("tr.train/batch=0", lambda: _train(batch_size=0), V, r"batch_size must be between 1 and N = 4"),
    Case("tr.train/batch>N", lambda: _train(batch_size=5), V, r"batch_size must be between 1 and N = 4"),
    Case("tr.train/momentum=1", lambda: _train(momentum=1.0), V, r"momentum must be in \[0, 1\)"),
    Case("tr.train/callback", lambda: _train(callback=5), T, r"callback must be callable"),
    Case("tr.train/progress", lambda: tr.train(MLP((2, 3, 1)), X4, Y4, progress="yes"), T, r"progress must be None, True or False"),
    Case("tr.train/seed", lambda: _train(seed=None), T, r"seed must be an integer"),
    Case("tr.train/N", lambda: _train(Y=Y4[:3]), V, r"Y must hold one target row per example of X: expected shape \(4, 1\)"),
    Case("tr.train/X-nan", lambda: _train(X=np.full((4, 2), np.nan)), V, r"X contains NaN or inf"),
    Case("tr.train/loss", lambda: _train(loss="l2"), V, r"unknown loss 'l2'"),
    Case("tr.train/net", lambda: tr.train(None, X4, Y4, progress=False), T, r"net must be an MLP"),
    Case("tr.train/labels", lambda: tr.train(NET_SM.copy(), X4, [0, 1, 2, 3], loss="cross_entropy", progress=False), V, r"labels must lie in 0..2"),
    Case("tr.make_sine/n=0", lambda: tr.make_sine(0), V, r"n must be a positive integer"),
    Case("tr.make_sine/noise<0", lambda: tr.make_sine(5, noise=-1.0), V, r"noise must be a non-negative number"),
    Case("tr.make_sine/noise-str", lambda: tr.make_sine(5, noise="0.1"), T, r"noise must be a (non-negative|real) number"),
    Case("tr.make_spiral/classes=1", lambda: tr.make_spiral(5, n_classes=1), V, r"n_classes must be an integer >= 2"),
    Case("tr.make_spiral/noise-nan", lambda: tr.make_spiral(5, noise=float("nan")), V, r"noise must be a non-negative number"),
    # ---- cost (nbs/09_cost.ipynb)
    Case("co.multiply_adds/one-layer", lambda: co.multiply_adds([2], 4), V, r"sizes must list at least two layer sizes"),
    Case("co.multiply_adds/N=0", lambda: co.multiply_adds([2, 3], 0), V, r"N \(the number of examples\) must be a positive integer"),
    Case("co.stored_numbers/str", lambda: co.stored_numbers("ab", 1), T, r"sizes must be a sequence of layer sizes"),
    Case("co.stored_numbers/zero-width", lambda: co.stored_numbers([2, 0, 1], 1), V, r"sizes\[1\] = r_1 must be at least 1"),
    Case("co.stored_numbers/N<0", lambda: co.stored_numbers([2, 3], -1), V, r"N \(the number of examples\) must be a positive integer"),
    Case("co.time_calls/not-callable", lambda: co.time_calls({"a": 1}), T, r"fns must be a non-empty dict of callables"),
    Case("co.loglog_slope/lengths", lambda: co.loglog_slope([1, 2], [1]), V, r"x and y must be 1-D of the same length"),
    Case("co.loglog_slope/negative", lambda: co.loglog_slope([1, -2], [1, 2]), V, r"positive"),
    # ---- autodiff
    Case("ad.Value/str", lambda: ad.Value("1"), T, r"data must be a real number"),
    Case("ad.Value/nan", lambda: ad.Value(float("nan")), V, r"data must be finite"),
    Case("ad.Value.pow/sqrt-negative", lambda: ad.Value(-1.0) ** 0.5, V, r"negative base .*integer exponent"),
    Case("ad.Value.pow/Value", lambda: ad.Value(2.0) ** ad.Value(2.0), T, r"exponent must be a real number"),
    Case("ad.Value.log/zero", lambda: ad.Value(0.0).log(), V, r"log needs a positive argument"),
    Case("ad.Value.exp/overflow", lambda: ad.Value(1000.0).exp(), V, r"exp overflows float64"),
    Case("ad.value_and_grad/2d", lambda: ad.value_and_grad(lambda v: v[0], np.ones((2, 2))), V, r"x must be a 1-D array"),
    Case("ad.value_and_grad/str", lambda: ad.value_and_grad(lambda v: v[0], ["a"]), T, r"x must be a 1-D array of (real )?numbers"),
    Case("ad.value_and_grad/nan", lambda: ad.value_and_grad(lambda v: v[0], [np.nan]), V, r"x contains NaN or inf"),
    Case("ad.value_and_grad/f-float", lambda: ad.value_and_grad(lambda v: 1.0, [1.0]), T, r"f must return a Value"),
    Case("ad.topological_order/int", lambda: ad.topological_order(3), T, r"root must be a Value"),
    Case("ad.backward/float", lambda: ad.backward(1.0), T, r"root must be a Value"),
    Case("ad.graph_size/list", lambda: ad.graph_size([ad.Value(1.0)]), T, r"root must be a Value"),
    Case("ad.scalar_loss/loss", lambda: ad.scalar_loss([[[1.0]]], [[0.0]], [[1.0]], [[1.0]], loss="hinge"), V, r"unknown loss 'hinge'; expected one of"),
    Case("ad.Dual/nan", lambda: ad.Dual(float("inf")), V, r"primal\): must be finite"),
    Case("ad.Dual/str", lambda: ad.Dual(1.0, "1"), T, r"tangent\): must be a real number"),
    Case("ad.derivative/f-float", lambda: ad.derivative(lambda d: 1.0, 0.5), T, r"f must return a Dual"),
    Case("ad.value_graph/features", lambda: ad.value_graph(NET, np.ones((2, 3)), Y4[:2]), V, r"X must have shape \(N, 2\)"),
    Case("ad.value_graph/N", lambda: ad.value_graph(NET, X4, Y4[:3]), V, r"Y must have shape \(4, 1\)"),
    Case("ad.value_graph/complex", lambda: ad.value_graph(NET, np.ones((1, 2), complex), Y4[:1]), T, r"X must (be an array of|hold) real numbers"),
    Case("ad.value_graph/nan", lambda: ad.value_graph(NET, [[np.nan, 0.0]], Y4[:1]), V, r"X and Y must not contain NaN or inf"),
    Case("ad.value_graph/loss", lambda: ad.value_graph(NET, X4, Y4, loss="mse"), V, r"unknown loss 'mse'"),
    Case("ad.value_graph/net", lambda: ad.value_graph([1, 2], X4, Y4), T, r"net must be an MLP"),
    Case("ad.engine_gradients/ce-identity", lambda: ad.engine_gradients(NET, X4, Y4, loss="cross_entropy"), V, r"needs the output activation 'softmax'"),
    Case("ad.engine_gradients/labels", lambda: ad.engine_gradients(NET_SM, X4, [0, 1, 2, 3], loss="cross_entropy"), V, r"labels Y must lie in 0..2"),
    Case("ad.forward_mode_gradients/Y-object", lambda: ad.forward_mode_gradients(NET, X4, np.array([[None]] * 4)), T, r"Y must (be an array of|hold) real numbers"),
    Case("ad.forward_mode_gradients/bce-Y", lambda: ad.forward_mode_gradients(NET_BCE, X4, Y4 * 2, loss="binary_cross_entropy"), V, r"targets Y in \[0, 1\]"),
    Case("ad.ValueGraph.delta/k=0", lambda: ad.value_graph(NET, X4[:1], Y4[:1]).delta(0), V, r"k must be a layer number in 1..2"),
    # ---- experiments
    Case("ex.package_lr/epsilon", lambda: ex.package_lr(0.0, 4), V, r"epsilon must be a positive finite number"),
    Case("ex.package_lr/N", lambda: ex.package_lr(0.5, 0), V, r"N \(the number of training patterns\) must be a positive int"),
    Case("ex.SkipNet/sizes", lambda: ex.SkipNet((2,)), V, r"sizes must list at least two layer sizes"),
    Case("ex.SkipNet/backwards", lambda: ex.SkipNet((2, 2, 1), connections=[(1, 0), (1, 2)]), V, r"connection \(1, 0\) must satisfy 0 <= j < k <= m = 2"),
    Case("ex.SkipNet/missing-layer", lambda: ex.SkipNet((2, 2, 1), connections=[(0, 2)]), V, r"layer 1 receives no connection"),
    Case("ex.SkipNet/pair", lambda: ex.SkipNet((2, 2, 1), connections=[(0, 1, 2)]), T, r"each connection must be a pair of layer numbers"),
    Case("ex.SkipNet/hidden", lambda: ex.SkipNet((2, 2, 1), hidden="softmax"), V, r"'softmax' cannot be a hidden activation"),
    Case("ex.SkipNet/hidden-unknown", lambda: ex.SkipNet((2, 2, 1), hidden="gelu"), V, r"unknown activation 'gelu'; valid names"),
    Case("ex.SkipNet/init_scale", lambda: ex.SkipNet((2, 2, 1), init_scale=-1.0), V, r"init_scale must be a finite number >= 0"),
    Case("ex.SkipNet/seed", lambda: ex.SkipNet((2, 2, 1), seed="1"), T, r"seed must be an int"),
    Case("ex.SkipNet.forward/features", lambda: SKIP.forward(np.ones((2, 3))), V, r"X must have shape \(N, 2\)"),
    Case("ex.SkipNet.forward/nan", lambda: SKIP.forward([[np.nan, 1.0]]), V, r"X contains NaN or inf"),
    Case("ex.SkipNet.forward/complex", lambda: SKIP.forward(np.ones((1, 2), complex)), T, r"X must hold real numbers"),
    Case("ex.SkipNet.forward/empty", lambda: SKIP.forward(np.zeros((0, 2))), V, r"X must have shape \(N, 2\) with N >= 1"),
    Case("ex.SkipNet.loss/width", lambda: SKIP.loss(X4, np.ones((4, 3))), V, r"Y must have shape \(N, 1\)"),
    Case("ex.SkipNet.gradients/N", lambda: SKIP.gradients(X4, Y4[:2]), V, r"Y must have shape \(4, 1\)"),
    Case("ex.SkipNet.gradients/loss", lambda: SKIP.gradients(X4, Y4, loss="cross_entropy"), V, r"needs output activation 'softmax'"),
    Case("ex.SkipNet.set_params/length", lambda: _set_skip(np.zeros(4)), V, r"theta must have shape \(9,\)"),
    Case("ex.SkipNet.set_params/nan", lambda: _set_skip(np.full(9, np.nan)), V, r"theta must hold finite real numbers"),
    Case("ex.SkipNet.set_params/complex", lambda: _set_skip(np.zeros(9, complex)), V, r"theta must hold finite real numbers"),
    Case("ex.SkipNet.to_mlp/skip", lambda: SKIP.to_mlp(), V, r"only a chain-connected SkipNet is an MLP"),
    Case("ex.binary_patterns/0", lambda: ex.binary_patterns(0), V, r"n_bits must be an int between 1 and 16"),
    Case("ex.binary_patterns/float", lambda: ex.binary_patterns(2.0), V, r"n_bits must be an int between 1 and 16"),
    Case("ex.symmetry_data/1", lambda: ex.symmetry_data(1), V, r"n_bits must be an int between 2 and 16"),
    Case("ex.parity_data/17", lambda: ex.parity_data(17), V, r"n_bits must be an int between 1 and 16"),
    Case("ex.encoder_data/1", lambda: ex.encoder_data(1), V, r"n must be an int between 2 and 4096"),
    Case("ex.train_sweeps/epsilon", lambda: ex.train_sweeps((2, 2, 1), X4, Y4, epsilon=0.0), V, r"epsilon \(the learning rate ε\) must be a positive finite number"),
    Case("ex.train_sweeps/alpha", lambda: ex.train_sweeps((2, 2, 1), X4, Y4, alpha=1.0), V, r"alpha \(the momentum α\) must be a number in \[0, 1\)"),
    Case("ex.train_sweeps/seeds-empty", lambda: ex.train_sweeps((2, 2, 1), X4, Y4, seeds=[]), V, r"seeds is empty"),
    Case("ex.train_sweeps/seeds-negative", lambda: ex.train_sweeps((2, 2, 1), X4, Y4, seeds=[-1]), V, r"seeds must be non-negative ints"),
    Case("ex.train_sweeps/seeds-float", lambda: ex.train_sweeps((2, 2, 1), X4, Y4, seeds=[0.5]), T, r"seeds must be non-negative ints"),
    Case("ex.train_sweeps/max_sweeps", lambda: ex.train_sweeps((2, 2, 1), X4, Y4, max_sweeps=0), V, r"max_sweeps must be a positive int"),
    Case("ex.train_sweeps/tols", lambda: ex.train_sweeps((2, 2, 1), X4, Y4, tols=(0.0,)), V, r"tols must be a non-empty collection of tolerances in \(0, 1\]"),
    Case("ex.train_sweeps/N", lambda: ex.train_sweeps((2, 2, 1), X4, Y4[:3], max_sweeps=1), V, r"Y must have shape \(4, 1\)"),
    Case("ex.train_sweeps/features", lambda: ex.train_sweeps((3, 2, 1), X4, Y4, max_sweeps=1), V, r"X must have shape \(N, 3\)"),
    Case("ex.SweepRun.converged/tol", lambda: RUN.converged(0.3), V, r"tol must be one of the tolerances of this run \(0.5,\)"),
    Case("ex.summarize/tol", lambda: ex.summarize(RUN, 0.1), V, r"tol must be one of the tolerances of this run"),
    Case("ex.mirror_stats/odd", lambda: ex.mirror_stats(np.ones((3, 2))), V, r"W must be a finite \(n, H\) array .* n even"),
    Case("ex.mirror_stats/1d", lambda: ex.mirror_stats(np.ones(4)), V, r"W must be a finite \(n, H\) array"),
    Case("ex.mirror_stats/nan", lambda: ex.mirror_stats(np.full((4, 2), np.nan)), V, r"W must be a finite \(n, H\) array"),
    Case("ex.mirror_stats/str", lambda: ex.mirror_stats([["a", "b"], ["c", "d"]]), T, r"W must hold real numbers"),
    Case("ex.mirror_stats/zero-unit", lambda: ex.mirror_stats(np.c_[W_MIRROR[:, 0], np.zeros(4)]), V, r"W has a hidden unit whose weights are all zero"),
    Case("ex.binary_code_stats/range", lambda: ex.binary_code_stats([[1.5, 0.0]]), V, r"H must be a non-empty 2-D array .* in \[0, 1\]"),
    Case("ex.binary_code_stats/empty", lambda: ex.binary_code_stats(np.zeros((0, 2))), V, r"H must be a non-empty 2-D array"),
    Case("ex.binary_code_stats/near", lambda: ex.binary_code_stats([[0.5]], near=0.6), V, r"near must be a number in \(0, 0.5\)"),
    # ---- more coverage: remaining elementwise activations, methods and helpers
    Case("act.identity/object", lambda: act.identity(np.array([None])), T, r"z must hold real numbers \(float, int or bool\); got dtype"),
    Case("act.identity_prime/complex", lambda: act.identity_prime(np.ones(2, complex)), T, r"z must hold real numbers \(float, int or bool\); got dtype"),
    Case("act.relu/object", lambda: act.relu([None, 1.0]), T, r"z must hold real numbers \(float, int or bool\); got dtype"),
    Case("act.sigmoid_prime/complex", lambda: act.sigmoid_prime(1j), T, r"z must hold real numbers \(float, int or bool\); got dtype"),
    Case("act.step/str", lambda: act.step(["1"]), T, r"z must hold real numbers \(float, int or bool\); got dtype"),
    Case("act.step_prime/object", lambda: act.step_prime(np.array([{}])), T, r"z must hold real numbers \(float, int or bool\); got dtype"),
    Case("act.tanh_prime/complex", lambda: act.tanh_prime(np.ones(3, complex)), T, r"z must hold real numbers \(float, int or bool\); got dtype"),
    Case("MLP.loss/N", lambda: NET.loss(X4, Y4[:3]), V, r"Y must hold one target row per example of X: expected shape \(4, 1\)"),
    Case("MLP.gradients/width", lambda: NET.gradients(X4, np.ones((4, 2))), V, r"Y must have shape \(N, 1\)"),
    Case("MLP.weights[5]/index", lambda: _set_weight(5, np.zeros((2, 3))), IndexError, r"net.weights has 2 layers \(indices 0..1\)"),
    Case("MLP.save/int-path", lambda: NET.save(5), T, r"MLP.save\(path\): path must be a str or os.PathLike"),
    Case("MLP.load/int-path", lambda: MLP.load(5), T, r"MLP.load\(path\): path must be a str or os.PathLike"),
    Case("ad.Dual.exp/overflow", lambda: ad.Dual(1000.0, 1.0).exp(), V, r"exp overflows float64"),
    Case("ad.Dual.log/negative", lambda: ad.Dual(-1.0, 1.0).log(), V, r"log needs a positive argument"),
    Case("ad.Dual.pow/sqrt-negative", lambda: ad.Dual(-4.0) ** 0.5, V, r"negative base .*integer exponent"),
    Case("ad.graph_layout/float", lambda: ad.graph_layout(2.0), T, r"root must be a Value"),
    Case("ad.draw_graph/list", lambda: ad.draw_graph([ad.Value(1.0)], None), T, r"root must be a Value"),
    Case("bp.flat_params/skipnet", lambda: bp.flat_params(SKIP), T, r"net must be an MLP"),
    Case("ex.SkipNet.check_input/name", lambda: SKIP.check_input(np.ones((2, 5)), name="Z"), V, r"Z must have shape \(N, 2\)"),
    Case("ex.SkipNet.check_data/loss", lambda: SKIP.check_data(X4, Y4, loss="mse"), V, r"unknown loss 'mse'"),
    Case("ex.SkipNet.forward_trace/3d", lambda: SKIP.forward_trace(np.ones((1, 2, 2))), V, r"X must have shape \(N, 2\)"),
    Case("ex.SkipNet.flat_gradient/N", lambda: SKIP.flat_gradient(X4, Y4[:1]), V, r"Y must have shape \(4, 1\)"),
    Case("ex.SkipNet.sources/k", lambda: SKIP.sources(3), V, r"k must be a layer number in 1..2"),
    Case("ex.SweepRun.net/i", lambda: RUN.net(1), IndexError, r"i must be an index 0..0 into seeds"),
]


def _params() -> list[Any]:
    out = []
    for case in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out


def test_the_table_is_large_and_ids_are_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 40


@pytest.mark.parametrize("case", _params())
def test_bad_input_is_refused_clearly(case: Case):
    with pytest.raises((ValueError, TypeError, IndexError)) as info:  # IndexError: only for an index
        case.call()
    err = info.value
    # exactly the documented type: no numpy subclass (AxisError), no Python-internal error
    assert type(err) is case.error, f"{type(err).__name__}: {err}"
    message = str(err)
    assert re.search(case.match, message), f"message {message!r} does not match {case.match!r}"
    assert not any(p in message for p in RAW_PHRASES), f"raw numpy/Python message: {message!r}"
    # raised by the package's own code (the innermost frame is a backprop_book module)
    frames = traceback.extract_tb(err.__traceback__)
    assert Path(frames[-1].filename).resolve().parent == PACKAGE_DIR, frames[-1]


# Public callables of these modules with no row in CASES, and why none is needed.
MODULE_PREFIX = {"gc": "gradcheck", "pc": "perceptron", "act": "activations", "mlp": "mlp", "MLP": "mlp",
                 "ls": "losses", "bp": "backprop", "tr": "train", "ad": "autodiff", "ex": "experiments", "co": "cost"}
RECORDS = ("Activation", "GraphSize", "ValueGraph", "MirrorStats", "SweepRun", "SweepSummary", "GradCheck",
           "Loss", "Trace", "MaxMargin", "PerceptronHistory", "SeparableData", "History", "Timing")
NO_ARGUMENTS = ("perceptron.xor_data", "mlp.MLP.copy", "autodiff.Value.backward", "autodiff.Value.relu",
                "autodiff.Value.sigmoid", "autodiff.Value.step", "autodiff.Value.tanh", "autodiff.Dual.relu",
                "autodiff.Dual.sigmoid", "autodiff.Dual.step", "autodiff.Dual.tanh",
                "autodiff.ValueGraph.gradients", "experiments.SkipNet.params", "gradcheck.GradCheck.passed")


def _covered() -> set[str]:
    """'module.function' or 'module.Class.method' named by the ids of CASES (a class: its __init__)."""
    out = set()
    for case in CASES:
        head = case.id.split("/")[0].split("[")[0]
        prefix, _, rest = head.partition(".")
        module = MODULE_PREFIX[prefix]
        name = head if prefix == "MLP" else rest
        obj = getattr(importlib.import_module(f"backprop_book.{module}"), name.split(".")[0])
        out.add(f"{module}.{name}.__init__" if isinstance(obj, type) and "." not in name else f"{module}.{name}")
    return out


def test_every_public_function_has_a_bad_input_row():
    from test_typing import PUBLIC

    covered = _covered()
    missing = [
        name for name, _ in PUBLIC
        if name.split(".")[0] in MODULE_PREFIX.values() and name not in covered and name not in NO_ARGUMENTS
        and name.split(".")[1] not in RECORDS and not name.endswith((".get", ".set"))
    ]
    assert not missing, f"add rows to CASES for {missing}"


def _is_float64(a: Any) -> bool:
    return isinstance(a, np.ndarray) and a.dtype == np.float64


INT_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])  # int64

# Documented conversions: integer (and bool) inputs where floats are needed are accepted and converted.
ACCEPTED: list[tuple[str, Callable[[], object], Callable[[Any], bool]]] = [
    ("act.sigmoid/int", lambda: act.sigmoid(np.arange(-3, 4)), _is_float64),
    ("act.softmax/int", lambda: act.softmax(np.arange(3)), _is_float64),
    ("act.relu/bool", lambda: act.relu(np.array([True, False])), _is_float64),
    ("MLP.forward/int", lambda: NET.forward(INT_X), lambda Y: _is_float64(Y) and Y.shape == (4, 1)),
    ("MLP.forward/float32", lambda: MLP((2, 1), dtype=np.float32).forward(INT_X), lambda Y: Y.dtype == np.float32),
    ("mlp.check_input/int", lambda: check_input(NET, INT_X), _is_float64),
    ("MLP.weights[0]/int", lambda: _int_weights(), _is_float64),
    ("pc.check_inputs/int", lambda: pc.check_inputs(INT_X), _is_float64),
    ("pc.check_data/bool-labels", lambda: pc.check_data(INT_X, D4.astype(bool))[1], lambda d: d.dtype == np.int64),
    ("ls.squared_value/int", lambda: ls.squared_value(INT_X, INT_X[::-1]), lambda e: e == 1.0),
    ("ls.one_hot/float-labels", lambda: ls.one_hot([0.0, 2.0], 3), lambda Y: np.array_equal(Y, [[1, 0, 0], [0, 0, 1]])),
    ("ls.as_targets/int", lambda: ls.as_targets(D4, 1, "squared"), lambda Y: _is_float64(Y) and Y.shape == (4, 1)),
    ("bp.gradients/int", lambda: bp.gradients(NET, INT_X, D4[:, None])[0][0], _is_float64),
    ("bp.set_flat_params/int", lambda: _set_flat_int(), _is_float64),
    ("ad.value_and_grad/int", lambda: ad.value_and_grad(lambda v: v[0] * v[1], [2, 3])[1], lambda g: np.array_equal(g, [3.0, 2.0])),
    ("ex.SkipNet.forward/int", lambda: SKIP.forward(INT_X), _is_float64),
    ("ex.mirror_stats/int", lambda: ex.mirror_stats(W_MIRROR.astype(int)).defect, _is_float64),
]


def _int_weights() -> np.ndarray:
    net = MLP((2, 3, 1), seed=0)
    net.weights[0] = np.ones((2, 3), dtype=np.int64)
    return net.weights[0]


def _set_flat_int() -> np.ndarray:
    net = MLP((2, 3, 1), seed=0)
    bp.set_flat_params(net, np.arange(13))
    return net.weights[0]


@pytest.mark.parametrize("call, check", [pytest.param(c, k, id=i) for i, c, k in ACCEPTED])
def test_integer_input_is_accepted_and_converted(call, check):
    assert check(call())


def test_refused_assignment_leaves_the_network_unchanged():
    net = MLP((2, 3, 1), seed=0)
    before = [W.copy() for W in net.weights]
    for bad in (np.zeros((3, 3)), np.full((2, 3), np.nan), np.zeros((2, 3), complex)):
        with pytest.raises((ValueError, TypeError)):
            net.weights[0] = bad
    with pytest.raises(ValueError):
        net.weights = [np.zeros((2, 3))]
    assert all(np.array_equal(a, b) for a, b in zip(net.weights, before, strict=True))
