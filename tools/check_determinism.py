"""Re-execute chapters of the built book and require identical text outputs.

The book build (``make book``) leaves every executed notebook in ``_build/jupyter_execute``. This
script runs the named chapters again, in the same environment as the build, and compares every text
output (streams, text/plain, text/markdown, text/html, text/latex) cell by cell. Figures are compared
by count only: their bytes may differ in metadata. Exits 1 with the first differences on mismatch.

usage: python tools/check_determinism.py 01_gradcheck [02_perceptron ...]
"""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
TEXT_MIME = ("text/plain", "text/markdown", "text/html", "text/latex")


def text_outputs(nb: nbformat.NotebookNode) -> list[list[str]]:
    """Per code cell, the list of its text outputs (images counted, not compared)."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outs: list[str] = []
        stream_at: dict[str, int] = {}
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                # Streams arrive in chunks that vary from run to run: merge them per stream name,
                # as the book does.
                if out.name in stream_at:
                    outs[stream_at[out.name]] += out.text
                else:
                    stream_at[out.name] = len(outs)
                    outs.append(f"{out.name}: {out.text}")
                continue
            if out.output_type in ("execute_result", "display_data"):
                data = out.get("data", {})
                shown = [f"{m}: {data[m]}" for m in TEXT_MIME if m in data and not _is_figure_repr(m, data)]
                images = sorted(m for m in data if m.startswith("image/"))
                outs.append(" | ".join(shown + [f"<{m}>" for m in images]))
            elif out.output_type == "error":
                outs.append(f"error: {out.ename}: {out.evalue}")
        cells.append(outs)
    return cells


def _is_figure_repr(mime: str, data: dict) -> bool:
    # "<Figure size 700x420 with 1 Axes>" carries no address, but keep the rule explicit.
    return mime == "text/plain" and any(m.startswith("image/") for m in data)


def main(names: list[str]) -> int:
    env_dir = ROOT / "_build" / "jupyter_execute" / "nbs"
    os.environ["TQDM_DISABLE"] = "1"
    os.environ["BACKPROP_BOOK_BUILD"] = "1"
    status = 0
    for name in names:
        built_path = env_dir / f"{name}.ipynb"
        if not built_path.exists():
            print(f"FAIL: {built_path} is missing: build the book first (make book)")
            return 1
        built = nbformat.read(built_path, as_version=4)
        rerun = copy.deepcopy(built)
        for cell in rerun.cells:
            if cell.cell_type == "code":
                cell.outputs = []
        NotebookClient(rerun, timeout=900, kernel_name="python3",
                       resources={"metadata": {"path": str(ROOT / "nbs")}}).execute()
        a, b = text_outputs(built), text_outputs(rerun)
        diffs = [(i, x, y) for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if diffs:
            status = 1
            print(f"FAIL: {name}: {len(diffs)} code cell(s) gave different text outputs on a second run")
            for i, x, y in diffs[:3]:
                print(f"  cell {i}:\n    build: {str(x)[:300]}\n    rerun: {str(y)[:300]}")
        else:
            n = sum(len(c) for c in a)
            print(f"ok: {name}: {len(a)} code cells, {n} outputs identical on a second run")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["01_gradcheck"]))
