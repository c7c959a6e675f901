"""Checks of a built HTML book: what a reader's browser would show.

Used by tests/test_book_browser.py on the real book and on deliberately broken pages, so that each
check is shown to fail when the thing it guards breaks.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serve `root` on an ephemeral localhost port; yield the base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


# JavaScript run in the page once it has loaded: returns the page's problems as strings.
PAGE_PROBLEMS_JS = r"""
async () => {
  const problems = [];
  // Images: make lazy ones load, then require every image to have decoded with a real size.
  const imgs = Array.from(document.images);
  imgs.forEach(i => { i.loading = "eager"; });
  await Promise.all(imgs.map(i => i.decode().catch(() => null)));
  for (const i of imgs) {
    if (!i.complete || i.naturalWidth === 0) problems.push("image did not load: " + i.getAttribute("src"));
  }
  // Math: wait for MathJax if the page has math, then look for raw TeX left in the visible text.
  const hasMath = document.querySelector(".math, .math-wrapper, mjx-container, div.math") !== null;
  if (hasMath) {
    const t0 = Date.now();
    while (!(window.MathJax && window.MathJax.startup && window.MathJax.startup.promise)) {
      if (Date.now() - t0 > 15000) { problems.push("MathJax did not load"); break; }
      await new Promise(r => setTimeout(r, 50));
    }
    if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
      await window.MathJax.startup.promise;
    }
  }
  const skip = new Set(["PRE", "CODE", "SCRIPT", "STYLE", "TEXTAREA", "MJX-CONTAINER", "NOSCRIPT"]);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      for (let p = node.parentElement; p; p = p.parentElement) {
        if (skip.has(p.tagName.toUpperCase())) return NodeFilter.FILTER_REJECT;
      }
      return NodeFilter.FILTER_ACCEPT;
    }
  });
  const raw = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.textContent;
    if (t.includes("\\(") || t.includes("\\[") || t.includes("$$") || t.includes("\\begin{")) raw.push(t.trim().slice(0, 60));
  }
  if (raw.length) problems.push("untypeset math: " + raw.slice(0, 3).join(" | "));
  // nbdev directives must never show, anywhere on the page (code included). A directive starts a line;
  // "#|" elsewhere is not one (an equation's "#" link followed by a formula that opens with "|").
  if (/(^|\n)[ \t]*#\|/.test(document.body.textContent)) problems.push("an nbdev directive line (#|) is visible");
  // Cell outputs must not carry tracebacks or warnings.
  for (const out of document.querySelectorAll(".cell_output, .output")) {
    const t = out.textContent;
    if (t.includes("Traceback (most recent call last)")) { problems.push("a cell output shows a traceback"); break; }
    if (/\b\w*Warning\b:/.test(t)) { problems.push("a cell output shows a warning: " + t.trim().slice(0, 80)); break; }
  }
  return problems;
}
"""


def page_problems(browser: object, url: str) -> list[str]:
    """Load `url` in a fresh page with the network closed beyond localhost; list what is wrong."""
    problems: list[str] = []
    page = browser.new_page()  # type: ignore[attr-defined]

    def route(r: object) -> None:
        req_url = r.request.url  # type: ignore[attr-defined]
        host = urlsplit(req_url).hostname
        if req_url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            r.continue_()  # type: ignore[attr-defined]
        else:
            problems.append(f"request outside localhost: {req_url}")
            r.abort()  # type: ignore[attr-defined]

    page.route("**/*", route)
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on(
        "requestfailed",
        lambda r: problems.append(f"request failed: {r.url}")
        if urlsplit(r.url).hostname in LOCAL_HOSTS
        else None,
    )
    try:
        response = page.goto(url, wait_until="load")
        if response is None or not response.ok:
            problems.append(f"page did not load: HTTP {response.status if response else '?'}")
        problems.extend(page.evaluate(PAGE_PROBLEMS_JS))
    finally:
        page.close()
    return problems


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)
            if name == "href" and tag in ("a", "link") and value is not None:
                self.hrefs.append(value)


def _parse(path: Path) -> _Anchors:
    p = _Anchors()
    p.feed(path.read_text(encoding="utf-8", errors="replace"))
    return p


def broken_links(root: Path) -> dict[str, list[str]]:
    """Every internal link of every page under `root` that points to no file or no anchor."""
    root = root.resolve()
    parsed: dict[Path, _Anchors] = {}

    def anchors(path: Path) -> _Anchors:
        if path not in parsed:
            parsed[path] = _parse(path)
        return parsed[path]

    bad: dict[str, list[str]] = {}
    for page in sorted(root.rglob("*.html")):
        if "_sources" in page.parts or "_static" in page.parts:
            continue
        target_of_redirect = redirect_target(page)
        hrefs = anchors(page).hrefs + ([target_of_redirect] if target_of_redirect else [])
        for href in hrefs:
            parts = urlsplit(href)
            if parts.scheme or href.startswith(("//", "javascript:")):
                continue
            target_path, fragment = urldefrag(href)
            target_path = unquote(urlsplit(target_path).path)
            target = (page.parent / target_path).resolve() if target_path else page
            if target.is_dir():
                target = target / "index.html"
            problem = None
            if root not in target.parents and target != root:
                problem = "points outside the book"
            elif not target.exists():
                problem = "no such file"
            elif fragment and target.suffix == ".html" and unquote(fragment) not in anchors(target).ids:
                problem = f"no anchor #{fragment}"
            if problem:
                bad.setdefault(str(page.relative_to(root)), []).append(f"{href}: {problem}")
    return bad


REFRESH = re.compile(r"""<meta\s+http-equiv=["']refresh["']\s+content=["'][^"']*url=([^"']+)["']""", re.I)


def redirect_target(path: Path) -> str | None:
    """The URL a meta-refresh redirect page points to, or None for an ordinary page."""
    m = REFRESH.search(path.read_text(encoding="utf-8", errors="replace"))
    return m.group(1) if m else None


def book_pages(root: Path) -> list[str]:
    """The HTML pages of a built book, relative to its root (redirect pages left out)."""
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*.html")
        if "_sources" not in p.parts and "_static" not in p.parts and redirect_target(p) is None
    )


def chromium_available() -> str | None:
    """None if headless Chromium and Playwright can be used, else the reason why not."""
    if not os.path.exists(CHROMIUM):
        return f"no browser at {CHROMIUM} (install Debian's chromium package)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None
