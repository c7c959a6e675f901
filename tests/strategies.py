"""Hypothesis strategies shared by the test modules."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


def shapes(min_dims: int = 1, max_dims: int = 3, max_side: int = 5) -> st.SearchStrategy:
    """Array shapes with at least one entry."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


def float_arrays(shape, low: float = -3.0, high: float = 3.0) -> st.SearchStrategy:
    """float64 arrays of the given shape (or shape strategy) with finite values in [low, high]."""
    return hnp.arrays(
        np.float64,
        shape,
        elements=st.floats(low, high, allow_nan=False, allow_infinity=False, width=64),
    )


def away_from(arrays: st.SearchStrategy, points=(0.0,), margin: float = 1e-3) -> st.SearchStrategy:
    """Arrays whose entries stay at least `margin` away from each kink in `points`."""

    def ok(a: np.ndarray) -> bool:
        return all(np.all(np.abs(a - p) >= margin) for p in points)

    return arrays.filter(ok)


def seeds() -> st.SearchStrategy:
    """Seeds for numpy generators."""
    return st.integers(0, 2**32 - 1)


def layer_sizes(min_depth: int = 1, max_depth: int = 5, max_width: int = 12) -> st.SearchStrategy:
    """Network shapes [r_0, ..., r_m] with m between min_depth and max_depth."""
    return st.lists(st.integers(1, max_width), min_size=min_depth + 1, max_size=max_depth + 1)
