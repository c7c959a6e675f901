"""The built book in headless Chromium, with the network closed beyond localhost.

For every page: no console errors, every image loaded, every formula typeset by MathJax, no nbdev
directive visible, no traceback or warning in a cell output, no request leaving localhost; and every
internal link resolves to a page and an anchor. The same checks are run on deliberately broken pages
to show that each of them can fail.

These tests need the book (`make book`) and Debian's chromium. Without a browser they are skipped
with the reason shown; under CI (BACKPROP_BOOK_REQUIRE_BROWSER=1) a missing browser or book fails.
"""

import os
import shutil
from pathlib import Path

import pytest
from bookcheck import (
    CHROMIUM,
    CHROMIUM_ARGS,
    book_pages,
    broken_links,
    chromium_available,
    page_problems,
    serve,
)

BOOK = Path(__file__).resolve().parents[1] / "_build" / "html"
REQUIRED = os.environ.get("BACKPROP_BOOK_REQUIRE_BROWSER") == "1"
pytestmark = pytest.mark.browser


def _unavailable() -> str | None:
    reason = chromium_available()
    if reason is None and not (BOOK / "index.html").exists():
        reason = f"the book is not built ({BOOK}/index.html missing; run 'make book')"
    return reason


@pytest.fixture(scope="module")
def browser():
    reason = _unavailable()
    if reason:
        if REQUIRED:
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def book_url():
    with serve(BOOK) as url:
        yield url


PAGES = book_pages(BOOK) if BOOK.exists() else []


def test_the_book_has_its_pages():
    if not PAGES:
        if REQUIRED:
            pytest.fail(f"the book is not built at {BOOK}")
        pytest.skip(f"the book is not built ({BOOK}); run 'make book'")
    for expected in ("nbs/index.html", "nbs/01_gradcheck.html", "nbs/api.html", "nbs/references.html"):
        assert expected in PAGES


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_cleanly(browser, book_url, page):
    assert page_problems(browser, book_url + page) == []


def test_internal_links_resolve():
    if not PAGES:
        pytest.skip("the book is not built")
    assert broken_links(BOOK) == {}


# ---- the checks can fail: deliberately broken pages --------------------------------------------

HEAD = '<html><head><script async src="_static/mathjax/tex-chtml.js"></script></head><body>'
BROKEN = {
    "console error": (HEAD + "<script>console.error('boom')</script><p>text</p></body></html>", "console error"),
    "script exception": (HEAD + "<script>undefinedFunction()</script></body></html>", "page error"),
    "missing image": (HEAD + '<img src="nope.png"></body></html>', "image did not load"),
    "raw math": (
        "<html><body><p>An equation <span class=\"math\">\\(x^2\\)</span> never typeset.</p></body></html>",
        "untypeset math",
    ),
    "nbdev directive": (HEAD + "<pre>#| export\nx = 1</pre></body></html>", "directive"),
    "nbdev directive inside code": (HEAD + "<p>intro</p><pre>x = 0\n  #| hide\ny = 1</pre></body></html>", "directive"),
    "traceback in output": (
        HEAD + '<div class="cell_output"><pre>Traceback (most recent call last):\n  ...</pre></div></body></html>',
        "traceback",
    ),
    "warning in output": (
        HEAD + '<div class="cell_output"><pre>RuntimeWarning: overflow in exp</pre></div></body></html>',
        "warning",
    ),
    "request to the internet": (
        HEAD + '<script src="https://cdn.example.org/lib.js"></script></body></html>',
        "outside localhost",
    ),
}


@pytest.fixture(scope="module")
def broken_site(tmp_path_factory):
    site = tmp_path_factory.mktemp("broken")
    if (BOOK / "_static").exists():
        shutil.copytree(BOOK / "_static" / "mathjax", site / "_static" / "mathjax")
    for name, (html, _) in BROKEN.items():
        (site / (name.replace(" ", "_") + ".html")).write_text(html)
    (site / "good.html").write_text(
        HEAD + '<p>Fine: <span class="math">\\(x^2\\)</span></p><a id="here"></a></body></html>'
    )
    (site / "links.html").write_text(
        '<html><body><a href="good.html#here">ok</a><a href="good.html#nowhere">bad anchor</a>'
        '<a href="missing.html">bad page</a><a href="https://example.org/">external</a></body></html>'
    )
    with serve(site) as url:
        yield site, url


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_checker_catches(browser, broken_site, name):
    _, url = broken_site
    problems = page_problems(browser, url + name.replace(" ", "_") + ".html")
    expected = BROKEN[name][1]
    assert any(expected in p for p in problems), f"{name}: not caught, problems were {problems}"


def test_checker_passes_a_good_page(browser, broken_site):
    _, url = broken_site
    assert page_problems(browser, url + "good.html") == []


def test_link_checker_catches_missing_pages_and_anchors(broken_site):
    site, _ = broken_site
    bad = broken_links(site)
    assert sorted(bad["links.html"]) == ["good.html#nowhere: no anchor #nowhere", "missing.html: no such file"]
