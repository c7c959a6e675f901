"""Translate nbdev/Quarto cell directives into what myst-nb understands.

The notebooks in ``nbs/`` are written for nbdev: cells carry directive comments
such as ``hide``, ``echo: false`` or ``fig-cap: ...`` on lines that start with
the two characters hash and bar. Those lines must never show in the book, and a
hidden cell must not appear at all. This extension rewrites each notebook as
Sphinx reads it (the ``source-read`` event), before myst-nb parses and executes
it, so the files on disk stay exactly as nbdev wants them.

Mapping (directive -> myst-nb):
    hide, include: false  -> tag ``remove-cell``
    default_exp           -> tag ``remove-cell`` (the cell only names the module)
    echo: false           -> tag ``remove-input``
    output: false         -> tag ``remove-output``
    eval: false           -> tag ``skip-execution``
    code-fold: true       -> tag ``hide-input``
    label: fig-...        -> ``mystnb.figure.name`` (with fig-cap -> caption)
Every directive line is removed from the cell source.
"""

from __future__ import annotations

import copy
import json
import os
import re
from typing import Any

DIRECTIVE = re.compile(r"^\s*#\|\s?(?P<body>.*)$")
RST_SPECIAL = re.compile(r"[\\*|_`]")
KEY_VALUE = re.compile(r"^(?P<key>[\w-]+)\s*:?\s*(?P<value>.*)$")


def parse_directives(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Split a cell's source lines into its directives and the remaining code."""
    directives: dict[str, str] = {}
    code: list[str] = []
    for line in lines:
        m = DIRECTIVE.match(line)
        if m is None:
            code.append(line)
            continue
        kv = KEY_VALUE.match(m.group("body").strip())
        if kv is not None:
            directives[kv.group("key")] = kv.group("value").strip().strip("\"'")
    while code and not code[0].strip():
        code.pop(0)
    while code and not code[-1].strip():
        code.pop()
    return directives, code


def translate_cell(cell: dict[str, Any]) -> dict[str, Any]:
    """Translate one code cell's directives into myst-nb tags and metadata."""
    if cell.get("cell_type") != "code":
        return cell
    source = cell.get("source", "")
    text = "".join(source) if isinstance(source, list) else source
    directives, code = parse_directives(text.splitlines())
    if not directives:
        return cell
    meta = cell.setdefault("metadata", {})
    tags: list[str] = list(meta.get("tags", []))

    def flag(key: str, value: str) -> bool:
        return key in directives and directives[key].lower() == value

    if "hide" in directives or flag("include", "false") or "default_exp" in directives:
        tags.append("remove-cell")
    if flag("echo", "false"):
        tags.append("remove-input")
    if flag("output", "false"):
        tags.append("remove-output")
    if flag("eval", "false"):
        tags.append("skip-execution")
    if flag("code-fold", "true"):
        tags.append("hide-input")
    label = directives.get("label", "")
    caption = directives.get("fig-cap", "")
    if label.startswith("fig-") or caption:
        figure: dict[str, str] = {}
        if label:
            figure["name"] = label
        if caption:
            figure["caption"] = caption
        meta.setdefault("mystnb", {})["figure"] = figure
    if not any(line.strip() for line in code):
        tags.append("remove-cell")
    if tags:
        meta["tags"] = sorted(set(tags))
    cell["source"] = "\n".join(code)
    return cell


def translate_notebook(text: str) -> str:
    """Return the notebook JSON with every code cell's directives translated."""
    nb = json.loads(text)
    nb["cells"] = [translate_cell(c) for c in nb.get("cells", [])]
    return json.dumps(nb, indent=1, ensure_ascii=False)


def _on_source_read(app: Any, docname: str, source: list[str]) -> None:
    path = str(app.env.doc2path(docname))
    if path.endswith(".ipynb"):
        source[0] = translate_notebook(source[0])


def module_chapters(nbs: str) -> dict[str, str]:
    """Map each exported module name to the notebook (docname) that exports it."""
    found: dict[str, str] = {}
    for name in sorted(os.listdir(nbs)):
        if not name.endswith(".ipynb"):
            continue
        with open(os.path.join(nbs, name), encoding="utf-8") as fh:
            nb = json.load(fh)
        for cell in nb.get("cells", []):
            if cell.get("cell_type") != "code":
                continue
            directives, _ = parse_directives("".join(cell.get("source", "")).splitlines())
            if "default_exp" in directives:
                found[directives["default_exp"]] = "nbs/" + name[: -len(".ipynb")]
    return found


def _on_autodoc(app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """Escape the one-line formula docstrings for reST; link top-level objects to their chapter."""
    lines[:] = [RST_SPECIAL.sub(r"\\\g<0>", line) for line in lines]
    parts = name.split(".")
    if what not in {"function", "class", "data", "exception"} or len(parts) != 3:
        return
    chapter = app.config.nbdev_module_chapters.get(parts[1])
    if chapter:
        lines.extend(["", f"Taught in :doc:`/{chapter}`."])


def _drop_thebe(app: Any) -> None:
    """Unhook sphinx-thebe (loaded by jupyter-book): it points at a CDN and this book runs offline."""
    for event, listeners in app.events.listeners.items():
        app.events.listeners[event] = [
            lst for lst in listeners if getattr(lst.handler, "__module__", "") != "sphinx_thebe"
        ]
    app.registry.css_files = [c for c in app.registry.css_files if "thebe" not in c[0]]


def _on_config_inited(app: Any, config: Any) -> None:
    config.nbdev_module_chapters = module_chapters(os.path.join(app.srcdir, "nbs"))
    _drop_thebe(app)


def _exact_coalesce(original: Any) -> Any:
    """Wrap myst-nb's stream merging so that chunk boundaries cannot change the text.

    myst-nb strips each later chunk and appends a newline, so the same prints arriving in a
    different number of chunks render differently (a print's text and its newline may land in two
    chunks). Concatenating the chunks exactly first makes the merged text depend on the prints only.
    """

    def coalesce(outputs: list[Any]) -> list[Any]:
        merged: list[Any] = []
        first: dict[str, Any] = {}
        # Work on copies: the executed notebook saved under _build keeps its raw outputs.
        for out in copy.deepcopy(outputs):
            if out["output_type"] == "stream":
                if out["name"] in first:
                    first[out["name"]]["text"] += out["text"]
                    continue
                first[out["name"]] = out
            merged.append(out)
        return original(merged)

    return coalesce


def setup(app: Any) -> dict[str, Any]:
    # Kernels started by the build inherit this environment: no progress bars in
    # the book's outputs, and code can tell it runs inside the book build.
    os.environ["TQDM_DISABLE"] = "1"
    os.environ["BACKPROP_BOOK_BUILD"] = "1"
    import myst_nb.core.render as render

    if not getattr(render.coalesce_streams, "exact", False):
        render.coalesce_streams = _exact_coalesce(render.coalesce_streams)
        render.coalesce_streams.exact = True  # type: ignore[attr-defined]
    app.add_config_value("nbdev_module_chapters", {}, "env")
    app.connect("config-inited", _on_config_inited)
    app.connect("source-read", _on_source_read)
    app.connect("autodoc-process-docstring", _on_autodoc)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
