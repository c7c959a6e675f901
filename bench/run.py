"""The performance benchmark of the book (`make bench`): writes bench/results.json and prints a table.

Every figure is measured side by side in one run: the candidates of one configuration are timed in
interleaved rounds (A, B, C, A, B, C, ...) after a warm-up, so that a change of machine load hits all
of them alike; each figure is the median over the rounds, with the quartiles as its spread, and each
ratio is the median of the per-round ratios. Threads are pinned (THREADS below) before numpy loads.
PyTorch is optional: without it the torch columns say "not installed".
"""

import os

THREADS = 2
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_var] = str(THREADS)

import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

import backprop_book.train as train_module  # noqa: E402
from backprop_book.backprop import (  # noqa: E402
    _forward_into,
    _Workspace,
    check_data,
    gradients_node_by_node,
)
from backprop_book.cost import loglog_slope, multiply_adds, time_calls  # noqa: E402
from backprop_book.mlp import MLP  # noqa: E402
from backprop_book.train import _train_step, train  # noqa: E402

try:
    import torch
except ImportError:  # the benchmark runs without PyTorch
    torch = None

RESULTS = Path(__file__).with_name("results.json")
LR = 1e-3  # small: thousands of steps on random data must stay finite

# (sizes, batch) for targets 1, 2 and 4 (both dtypes), and more sizes for the comparison with PyTorch.
MAIN = [((784, 128, 10), 128), ((784, 128, 10), 512), ((784, 512, 512, 10), 128),
        ((784, 512, 512, 10), 512), ((1024, 2048, 2048, 1024), 128), ((1024, 2048, 2048, 1024), 512)]
TINY = [((2, 2, 1), 4), ((2, 16, 16, 1), 32), ((64, 64, 64, 10), 64)]
FD_NETS = [(1, 3, 1), (8, 10, 1), (8, 100, 1), (8, 1000, 1), (8, 10000, 1)]  # P = 10 ... 100,001
NODE_NETS = [((2, 16, 16, 1), 64), ((16, 64, 64, 4), 32)]


def machine() -> dict:
    """CPU model, cores, BLAS, versions, date and load."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    blas = [{k: d.get(k) for k in ("internal_api", "version", "architecture", "threading_layer",
                                   "num_threads")} for d in threadpool_info() if d.get("user_api") == "blas"]
    return {
        "cpu": model, "cores": os.cpu_count(), "threads": THREADS, "blas": blas,
        "python": platform.python_version(), "numpy": np.__version__,
        "torch": torch.__version__ if torch is not None else "not installed",
        "platform": platform.platform(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_before": list(os.getloadavg()),
        "gemm": {dtype.name: fn.__name__ for dtype, fn in train_module._GEMM.items()},
    }


def problem(sizes: tuple[int, ...], N: int, dtype: type) -> tuple:
    """A sigmoid MLP with identity output, data (X, Y) and the validated arrays, all seeded."""
    net = MLP(sizes, hidden="sigmoid", output="identity", seed=0, dtype=dtype)
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(N, sizes[0])), rng.normal(size=(N, sizes[-1]))
    X_arr, Y_arr, loss_fn = check_data(net, X, Y, "squared")
    return net, X_arr, Y_arr, loss_fn


def bare_products(net: MLP, X: np.ndarray) -> Callable[[], None]:
    """The matrix products of one step on preallocated arrays: O^{k-1}W^k, (O^{k-1})ᵀΔ^k, Δ^k(W^k)ᵀ."""
    N, r, dt = X.shape[0], net.sizes, net.dtype
    O = [X] + [np.ones((N, r[k]), dt) for k in range(1, net.m + 1)]  # noqa: E741
    D = [np.ones((N, r[k]), dt) for k in range(net.m + 1)]
    dW = [np.empty_like(W) for W in net.weights]

    def run() -> None:
        for k in range(1, net.m + 1):
            np.matmul(O[k - 1], net.weights[k - 1], out=O[k])
        for k in range(net.m, 0, -1):
            np.matmul(O[k - 1].T, D[k], out=dW[k - 1])
            if k > 1:
                np.matmul(D[k], net.weights[k - 1].T, out=D[k - 1])
    return run


def plain_step(net: MLP, ws: _Workspace, X: np.ndarray, Y: np.ndarray, loss_fn) -> Callable[[], None]:
    """The training step with the plain update (two passes over each W^k), as without a BLAS gemm."""
    def run() -> None:
        found, train_module._GEMM = train_module._GEMM, {}
        try:
            _train_step(net, ws, X, Y, loss_fn, LR, 0.0, [])
        finally:
            train_module._GEMM = found
    return run


def torch_fns(net: MLP, X: np.ndarray, Y: np.ndarray) -> dict:
    """PyTorch eager: the same network, data, dtype and threads; SGD step and a no-grad forward."""
    if torch is None:
        return {}
    torch.set_num_threads(THREADS)
    tdt = torch.float64 if net.dtype == np.float64 else torch.float32
    layers = []
    for k in range(1, net.m + 1):
        lin = torch.nn.Linear(net.sizes[k - 1], net.sizes[k]).to(tdt)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(net.weights[k - 1].T.copy()))
            lin.bias.copy_(torch.from_numpy(net.biases[k - 1]))
        layers.append(lin)
        if k < net.m:
            layers.append(torch.nn.Sigmoid())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    scale = 0.5 / X.shape[0]

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        E = torch.nn.functional.mse_loss(model(Xt), Yt, reduction="sum") * scale
        E.backward()
        opt.step()

    def forward() -> None:
        with torch.no_grad():
            model(Xt)

    return {"torch_step": step, "torch_forward": forward}


def number_for(sizes: tuple[int, ...], N: int) -> int:
    """Calls per timing sample: enough that one sample takes some 50 ms or more."""
    fwd, _ = multiply_adds(sizes, N)
    return int(np.clip(5e8 / (fwd + 2e4), 1, 2000))


def ratio(t: dict, a: str, b: str) -> float:
    """Median over rounds of the per-round ratio t[a] / t[b]."""
    return float(np.median(np.array(t[a].samples) / np.array(t[b].samples)))


def step_benchmarks(configs: list, dtypes: list, rounds: int) -> list[dict]:
    """Forward, training step, bare products and PyTorch, per (sizes, batch, dtype)."""
    rows = []
    for sizes, N in configs:
        for dtype in dtypes:
            net, X, Y, loss_fn = problem(sizes, N, dtype)
            ws = _Workspace(net, N)
            fns = {
                "forward": lambda net=net, X=X: net.forward(X),
                "forward_ws": lambda net=net, ws=ws, X=X: _forward_into(net, ws, X),
                "step": lambda net=net, ws=ws, X=X, Y=Y, f=loss_fn: _train_step(net, ws, X, Y, f, LR, 0.0, []),
                "step_plain": plain_step(net, ws, X, Y, loss_fn),
                "bare": bare_products(net, X),
                **torch_fns(net, X, Y),
            }
            t = time_calls(fns, rounds=rounds, number=number_for(sizes, N), warmup=2)
            fwd, bwd = multiply_adds(sizes, N)
            row = {"sizes": list(sizes), "N": N, "dtype": np.dtype(dtype).name, "params": net.n_params,
                   "multiply_adds": fwd + bwd,
                   "seconds": {k: {"median": v.median, "q1": v.q1, "q3": v.q3} for k, v in t.items()},
                   "step_over_forward": ratio(t, "step", "forward_ws"),
                   "step_over_user_forward": ratio(t, "step", "forward"),
                   "step_over_bare": ratio(t, "step", "bare"),
                   "plain_over_bare": ratio(t, "step_plain", "bare"),
                   "gflops_step": 2 * (fwd + bwd) / t["step"].median / 1e9}
            if "torch_step" in t:
                row["torch_over_step"] = ratio(t, "torch_step", "step")
                row["torch_forward_over_forward"] = ratio(t, "torch_forward", "forward_ws")
            rows.append(row)
            print(f"  {str(sizes):26s} N={N:4d} {row['dtype']:8s} step {t['step'].median * 1e3:9.3f} ms "
                  f"step/fwd {row['step_over_forward']:5.2f} step/bare {row['step_over_bare']:5.2f} "
                  f"(plain update {row['plain_over_bare']:5.2f}) "
                  f"torch/step {row.get('torch_over_step', float('nan')):5.2f}", flush=True)
    return rows


def train_epoch_xor(rounds: int) -> dict:
    """Seconds per epoch of train() itself (full batch, 2-2-1 XOR): step, error, divergence check, history."""
    net = MLP((2, 2, 1), hidden="sigmoid", output="sigmoid", seed=0)
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    epochs = 2000
    t = time_calls({"train": lambda: train(net.copy(), X, Y, lr=0.5, epochs=epochs, progress=False)},
                   rounds=rounds, number=1, warmup=1)["train"]
    return {"seconds_per_epoch": {"median": t.median / epochs, "q1": t.q1 / epochs, "q3": t.q3 / epochs}}


def central_differences(net: MLP, X: np.ndarray, Y: np.ndarray, coords: list, h: float = 1e-5) -> np.ndarray:
    """∂E/∂θ_i ≈ (E(θ + h e_i) - E(θ - h e_i)) / 2h for the listed (array, index) coordinates of net."""
    out = np.empty(len(coords))
    for c, (p, idx) in enumerate(coords):
        old = p[idx]
        p[idx] = old + h
        up, E_plus = p[idx], net.loss(X, Y)
        p[idx] = old - h
        down, E_minus = p[idx], net.loss(X, Y)
        p[idx] = old
        out[c] = (E_plus - E_minus) / (up - down)
    return out


def finite_differences(rounds: int, sample: int = 300) -> dict:
    """Time for the full gradient by central differences (2P error evaluations) and by backpropagation.

    Up to `sample` coordinates are differenced and timed; for larger P the time is that of the sample
    times P / sample (every coordinate costs the same two evaluations of E on the whole network).
    """
    rows = []
    for sizes in FD_NETS:
        net, X, Y, _ = problem(sizes, 16, np.float64)
        params = list(net.weights) + list(net.biases)
        every = [(j, idx) for j, p in enumerate(params) for idx in np.ndindex(p.shape)]
        pick = np.random.default_rng(2).choice(len(every), size=min(sample, len(every)), replace=False)
        coords = [(params[every[i][0]], every[i][1]) for i in np.sort(pick)]
        t_fd = time_calls({"fd": lambda net=net, X=X, Y=Y, c=coords: central_differences(net, X, Y, c)},
                          rounds=3, number=1, warmup=0)["fd"]
        t_bp = time_calls({"bp": lambda net=net, X=X, Y=Y: net.gradients(X, Y)}, rounds=rounds,
                          number=number_for(sizes, 16), warmup=2)["bp"]
        numeric = central_differences(net, X, Y, coords)
        analytic = np.concatenate([a.ravel() for a in sum(net.gradients(X, Y), [])])
        flat = [int(np.ravel_multi_index(every[i][1], params[every[i][0]].shape)) if params[every[i][0]].ndim
                else 0 for i in np.sort(pick)]
        offsets = np.cumsum([0] + [p.size for p in params])
        a = analytic[[offsets[every[i][0]] + f for i, f in zip(np.sort(pick), flat, strict=True)]]
        err = float(np.max(np.abs(a - numeric) / np.maximum(np.maximum(np.abs(a), np.abs(numeric)), 1e-2)))
        fd_full = t_fd.median * net.n_params / len(coords)
        rows.append({"sizes": list(sizes), "P": net.n_params, "N": 16, "fd_seconds": fd_full,
                     "fd_coordinates_timed": len(coords), "bp_seconds": t_bp.median,
                     "bp_q1": t_bp.q1, "bp_q3": t_bp.q3, "ratio": fd_full / t_bp.median,
                     "max_rel_error": err})
        print(f"  P = {net.n_params:7d}: differences {fd_full:9.3f} s, backprop {t_bp.median * 1e3:8.3f} ms, "
              f"ratio {fd_full / t_bp.median:9.0f}, agreement {err:.1e}", flush=True)
    P = [r["P"] for r in rows]
    return {"rows": rows,
            "slope_fd": loglog_slope(P[-3:], [r["fd_seconds"] for r in rows[-3:]]),
            "slope_bp": loglog_slope(P[-3:], [r["bp_seconds"] for r in rows[-3:]])}


def node_by_node(rounds: int) -> list[dict]:
    """The loops of gradients_node_by_node against the matrix gradients, same network and data."""
    rows = []
    for sizes, N in NODE_NETS:
        net, X, Y, _ = problem(sizes, N, np.float64)
        t = time_calls({"loops": lambda net=net, X=X, Y=Y: gradients_node_by_node(net, X, Y)},
                       rounds=max(2, rounds // 3), number=1, warmup=0)["loops"]
        m = time_calls({"matrix": lambda net=net, X=X, Y=Y: net.gradients(X, Y)}, rounds=rounds,
                       number=number_for(sizes, N), warmup=2)["matrix"]
        rows.append({"sizes": list(sizes), "N": N, "P": net.n_params, "loops_seconds": t.median,
                     "matrix_seconds": m.median, "speedup": t.median / m.median})
        print(f"  {str(sizes):18s} N={N:3d}: loops {t.median * 1e3:9.1f} ms, matrices {m.median * 1e6:8.1f} µs, "
              f"speedup {t.median / m.median:8.0f}", flush=True)
    return rows


def elementwise(rounds: int) -> dict:
    """Nanoseconds per element of np.exp, and multiply-adds per nanosecond of a large product, per dtype."""
    out = {}
    for dtype in (np.float64, np.float32):
        A = np.random.default_rng(3).normal(size=(512, 2048)).astype(dtype)
        E, W, C = np.empty_like(A), np.ones((2048, 2048), dtype), np.empty_like(A)
        t = time_calls({"exp": lambda A=A, E=E: np.exp(A, out=E),
                        "product": lambda A=A, W=W, C=C: np.matmul(A, W, out=C)}, rounds=rounds, warmup=2)
        out[np.dtype(dtype).name] = {"exp_ns_per_element": 1e9 * t["exp"].median / A.size,
                                     "product_madds_per_ns": A.size * 2048 / t["product"].median / 1e9}
    return out


def main() -> None:
    quick = "--quick" in sys.argv
    rounds = 3 if quick else 9
    start = time.perf_counter()
    with threadpool_limits(limits=THREADS):
        info = machine()
        print(f"{info['cpu']}, {info['cores']} cores, {THREADS} threads, numpy {info['numpy']}, "
              f"torch {info['torch']}, load {info['load_before'][0]:.2f}", flush=True)
        print("training step against forward, bare products and PyTorch:")
        main_rows = step_benchmarks(MAIN[:2] if quick else MAIN, [np.float64, np.float32], rounds)
        print("small networks (overhead-bound), float64:")
        tiny_rows = step_benchmarks(TINY, [np.float64], rounds)
        xor_train = train_epoch_xor(rounds)
        print(f"  train() on XOR: {xor_train['seconds_per_epoch']['median'] * 1e6:.1f} µs per epoch")
        ew = elementwise(rounds)
        for name, e in ew.items():
            print(f"  {name}: exp {e['exp_ns_per_element']:.2f} ns per element, "
                  f"products {e['product_madds_per_ns']:.1f} multiply-adds per ns")
        print("finite differences against backpropagation:")
        fd = finite_differences(rounds)
        print(f"  log-log slopes (last three sizes): differences {fd['slope_fd']:.2f}, "
              f"backprop {fd['slope_bp']:.2f}")
        print("node by node against matrices:")
        nodes = node_by_node(rounds)
    info["load_after"] = list(os.getloadavg())
    info["seconds"] = time.perf_counter() - start
    results = {"machine": info, "rounds": rounds, "lr": LR, "main": main_rows, "tiny": tiny_rows,
               "train_xor": xor_train, "elementwise": ew, "finite_differences": fd, "node_by_node": nodes}
    if quick:
        print(f"--quick: {info['seconds']:.0f} s, results not written")
        return
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {RESULTS} in {info['seconds']:.0f} s (load {info['load_before'][0]:.2f} -> "
          f"{info['load_after'][0]:.2f})")


if __name__ == "__main__":
    main()
