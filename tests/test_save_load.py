"""MLP.save / MLP.load: exact round trips, and clear errors for damaged, tampered or foreign files."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import layer_sizes, seeds

from backprop_book.mlp import HIDDEN_ACTIVATIONS, MLP, OUTPUT_ACTIVATIONS, _npz_digest
from backprop_book.train import train


def _params(net: MLP) -> list[np.ndarray]:
    return list(net.weights) + list(net.biases)


def _same(a: MLP, b: MLP) -> bool:
    """Bit-identical networks: sizes, names, dtype, seed and every parameter array (values and dtype)."""
    return (a.sizes == b.sizes and a.hidden == b.hidden and a.output == b.output and a.dtype == b.dtype
            and a.seed == b.seed
            and all(x.dtype == y.dtype and x.tobytes() == y.tobytes()
                    for x, y in zip(_params(a), _params(b), strict=True)))


def _arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def _rewrite(src: Path, dst: Path, redigest: bool, drop: tuple[str, ...] = (), **changes: object) -> Path:
    """Copy the file src to dst with arrays changed/dropped; redigest: recompute a valid digest."""
    arrays = _arrays(src)
    for name in drop:
        del arrays[name]
    arrays.update({k: np.asarray(v) for k, v in changes.items()})
    if redigest:
        arrays["sha256"] = np.array(_npz_digest(arrays))
    np.savez(dst, **arrays)
    return dst


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    net = MLP((2, 3, 1), hidden="tanh", output="sigmoid", seed=4)
    path = tmp_path / "net.npz"
    net.save(path)
    return path


@given(layer_sizes(max_depth=3, max_width=6), st.sampled_from(HIDDEN_ACTIVATIONS),
       st.sampled_from(OUTPUT_ACTIVATIONS), st.one_of(st.none(), seeds()),
       st.sampled_from([np.float32, np.float64]))
def test_round_trip_is_bit_identical(tmp_path_factory, sizes, hidden, output, seed, dtype):
    net = MLP(sizes, hidden=hidden, output=output, seed=seed, dtype=dtype)
    rng = np.random.default_rng(0)
    net.biases = [rng.normal(size=b.shape) for b in net.biases]  # non-zero biases too
    path = tmp_path_factory.mktemp("rt") / "net.npz"
    net.save(path)
    loaded = MLP.load(path)
    assert _same(loaded, net)
    X = rng.normal(size=(3, sizes[0]))
    assert np.array_equal(loaded.forward(X), net.forward(X))


def test_a_trained_network_round_trips(tmp_path: Path):
    X = np.random.default_rng(1).normal(size=(20, 2))
    Y = np.sin(X[:, :1])
    for dtype in (np.float32, np.float64):
        net = MLP((2, 5, 1), hidden="tanh", seed=1, dtype=dtype)
        train(net, X, Y, lr=0.2, epochs=20, progress=False)
        net.save(tmp_path / "trained.npz")
        assert _same(MLP.load(tmp_path / "trained.npz"), net)


def test_the_file_holds_no_pickle_and_is_written_where_asked(tmp_path: Path):
    path = tmp_path / "weights.bin"  # no .npz suffix is added
    MLP((3, 2)).save(path)
    assert path.exists() and not (tmp_path / "weights.bin.npz").exists()
    arrays = _arrays(path)  # would fail on object arrays: allow_pickle=False
    assert all(a.dtype != object for a in arrays.values())
    assert {"format", "version", "sizes", "hidden", "output", "dtype", "seed", "sha256", "W1", "b1"} == set(arrays)
    assert int(arrays["version"]) == 1 and str(arrays["sha256"]) == _npz_digest(arrays)


# (changes to the file, whether the digest is recomputed, message expected from MLP.load)
TAMPERED = [
    pytest.param(dict(W1=np.zeros((2, 3))), False, r"SHA-256 digest does not match", id="changed-weight"),
    pytest.param(dict(b2=np.array([1e-300])), False, r"SHA-256 digest does not match", id="changed-bias"),
    pytest.param(dict(extra=np.zeros(2)), False, r"SHA-256 digest does not match", id="added-array"),
    pytest.param(dict(hidden=np.array("relu")), False, r"SHA-256 digest does not match", id="changed-name"),
    pytest.param(dict(version=np.array(2)), True, r"unsupported format version 2; this package reads version 1", id="version"),
    pytest.param(dict(version=np.array("1")), True, r"unsupported format version", id="version-text"),
    pytest.param(dict(format=np.array("something.else")), True, r"format must be 'backprop_book.MLP'", id="format"),
    pytest.param(dict(hidden=np.array("swish")), True, r"unknown activation 'swish'; valid names", id="activation"),
    pytest.param(dict(hidden=np.array("softmax")), True, r"'softmax' cannot be a hidden activation", id="hidden-softmax"),
    pytest.param(dict(output=np.array(["sigmoid"])), True, r"'output' must be a text scalar", id="name-shape"),
    pytest.param(dict(dtype=np.array("int32")), True, r"dtype must be np.float32 or np.float64", id="dtype"),
    pytest.param(dict(W1=np.zeros((3, 2))), True, r"W\^1 \(net.weights\[0\]\) must have shape \(2, 3\)", id="shape"),
    pytest.param(dict(b1=np.zeros((3, 1))), True, r"b\^1 \(net.biases\[0\]\) must have shape \(3,\)", id="bias-shape"),
    pytest.param(dict(W2=np.zeros((3, 1), dtype=np.float32)), True, r"'W2' must have dtype float64", id="array-dtype"),
    pytest.param(dict(W1=np.full((2, 3), np.nan)), True, r"W\^1 .*contains NaN or inf", id="nan"),
    pytest.param(dict(sizes=np.array([2, 3, 2, 1])), True, r"must hold exactly the arrays", id="sizes-more-layers"),
    pytest.param(dict(sizes=np.array([2.0, 3.0, 1.0])), True, r"sizes must be a 1-D integer array", id="sizes-float"),
    pytest.param(dict(sizes=np.array([2, 0, 1])), True, r"sizes\[1\] = r_1 must be at least 1", id="sizes-zero"),
    pytest.param(dict(seed=np.array("abc")), True, r"seed must be .None. or an integer; got .abc.", id="seed"),
    pytest.param(dict(extra=np.zeros(2)), True, r"must hold exactly the arrays", id="added-array-redigested"),
]


@pytest.mark.parametrize("changes, redigest, message", TAMPERED)
def test_a_tampered_file_is_refused(saved: Path, changes, redigest, message):
    bad = _rewrite(saved, saved.with_name("bad.npz"), redigest, **changes)
    with pytest.raises(ValueError, match=message) as info:
        MLP.load(bad)
    assert "MLP.load(path): bad.npz" in str(info.value)


@pytest.mark.parametrize("name, redigest, message", [
    ("W2", False, r"SHA-256 digest does not match"),
    ("W2", True, r"must hold exactly the arrays"),
    ("sizes", True, r"missing array\(s\) \['sizes'\]"),
    ("sha256", False, r"missing array\(s\) \['sha256'\]"),
    ("version", False, r"missing array\(s\) \['version'\]"),
])
def test_a_missing_array_is_refused(saved: Path, name, redigest, message):
    bad = _rewrite(saved, saved.with_name("bad.npz"), redigest, drop=(name,))
    with pytest.raises(ValueError, match=message):
        MLP.load(bad)


@given(st.floats(0.0, 0.999))
def test_a_truncated_file_is_refused(tmp_path_factory, fraction):
    folder = tmp_path_factory.mktemp("trunc")
    MLP((2, 4, 3), output="softmax", seed=1).save(folder / "net.npz")
    raw = (folder / "net.npz").read_bytes()
    (folder / "cut.npz").write_bytes(raw[: int(fraction * len(raw))])
    with pytest.raises(ValueError, match=r"MLP.load\(path\): cut.npz is not a readable .npz archive"):
        MLP.load(folder / "cut.npz")


def test_foreign_files_are_refused(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("not a network")
    np.save(tmp_path / "bare.npy", np.zeros(3))
    np.savez(tmp_path / "pickled.npz", W1=np.array([{"a": 1}], dtype=object))
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    for name, message in (("notes.txt", "not a readable .npz archive"), ("bare.npy", "not a readable .npz archive"),
                          ("pickled.npz", "not a readable .npz archive"),
                          ("other.npz", r"missing array\(s\) \['format'")):
        with pytest.raises(ValueError, match=message):
            MLP.load(tmp_path / name)
    with pytest.raises(FileNotFoundError):
        MLP.load(tmp_path / "absent.npz")
