"""Every public function and method of the package has complete type hints (mypy checks their use)."""

import importlib
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import backprop_book

MODULES = sorted(p.stem for p in Path(backprop_book.__file__).parent.glob("*.py") if not p.stem.startswith("_"))


def _public_callables() -> Iterator[tuple[str, Callable]]:
    """(qualified name, function) for every public function, method, classmethod, staticmethod, property."""
    for mod_name in MODULES:
        module = importlib.import_module(f"backprop_book.{mod_name}")
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                yield f"{mod_name}.{name}", obj
            elif inspect.isclass(obj) and obj.__module__ == module.__name__:
                for attr, member in vars(obj).items():
                    if attr.startswith("_") and attr != "__init__":
                        continue
                    if isinstance(member, (staticmethod, classmethod)):
                        member = member.__func__
                    if isinstance(member, property):
                        for part, fn in (("get", member.fget), ("set", member.fset)):
                            if fn is not None:
                                yield f"{mod_name}.{name}.{attr}.{part}", fn
                    elif inspect.isfunction(member):
                        yield f"{mod_name}.{name}.{attr}", member


PUBLIC = sorted(_public_callables(), key=lambda item: item[0])


def test_the_public_api_is_found():
    names = {n for n, _ in PUBLIC}
    assert len(PUBLIC) > 100
    for expected in ("mlp.MLP.save", "mlp.MLP.load", "mlp.MLP.forward", "train.train", "losses.one_hot",
                     "activations.sigmoid", "autodiff.Value.__init__", "experiments.SkipNet.forward"):
        assert expected in names


@pytest.mark.parametrize("name, fn", PUBLIC, ids=[n for n, _ in PUBLIC])
def test_complete_type_hints(name, fn):
    sig = inspect.signature(fn)
    params = list(sig.parameters.values())
    if params and params[0].name in ("self", "cls"):
        params = params[1:]
    missing = [p.name for p in params if p.annotation is inspect.Parameter.empty]
    assert not missing, f"{name}: parameters without a type hint: {missing}"
    assert sig.return_annotation is not inspect.Signature.empty, f"{name}: no return annotation"
