"""The built book as a reader sees it: headless Chromium through every page, offline.

The book is built once per session in a copy of the project and served from 127.0.0.1. For each
page the test records every network request the browser makes (Chrome DevTools ``Network``
events from the performance log) and every console message: a request to any other host, or a
console error, fails. It also checks that every figure image loads, that every link to a page of
the book resolves (and its ``#fragment`` exists), that the search page finds "Liupanshui", and
that an itables table from :func:`cases.present.report.interactive_table` becomes searchable and
sortable without the internet. Full-page screenshots go to ``test-artifacts/browser/``.

Chromium comes from the Debian packages ``chromium`` and ``chromium-driver`` (``make browser``
installs them); the test is skipped, saying so, only where they are not installed.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import nbformat
import pytest
from nbclient import NotebookClient

from cases.core import paths

# One build per run: with `pytest -n N --dist loadgroup` every user of the full build
# (tests/conftest.py) shares one worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("book")]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1280,1000",
)
LOCAL_HOST = "127.0.0.1"
# Schemes that never leave the browser: inline data, in-page blobs (itables' embedded bundle).
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "chrome-extension", "devtools"}
ARTIFACTS = paths.ROOT / "test-artifacts" / "browser"
SCREENSHOTS = {
    "introduction": "intro.html",
    "case_chapter": "cases/liupanshui/area_context.html",
    "cross_case": "cross_case.html",
    "simulation_tables": "cases/h_county/simulation.html",
}
MAX_SCREENSHOT_HEIGHT = 24000


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def chromium_paths() -> tuple[Path, Path]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.skip(
            f"Chromium is not installed ({', '.join(missing)} missing) and could not be "
            "installed here: run `make browser` as root (apt-get install chromium chromium-driver)"
        )
    pytest.importorskip("selenium", reason="selenium is a dev dependency: pip install -e '.[dev]'")
    return CHROMIUM, CHROMEDRIVER


@pytest.fixture(scope="session")
def built_book(chromium_paths, request: pytest.FixtureRequest) -> Path:
    """The HTML book of the run's one full build (``full_build`` in ``conftest.py``).

    ``CASES_BROWSER_BOOK=<folder with index.html>`` reuses a book built earlier (for quick
    iterations on the test itself); the default uses the fresh build.
    """
    reuse = os.environ.get("CASES_BROWSER_BOOK")
    if reuse:
        return Path(reuse)
    html = request.getfixturevalue("full_build") / "book" / "_build" / "html"
    assert (html / "index.html").is_file()
    return html


@pytest.fixture(scope="session")
def html_book(request: pytest.FixtureRequest) -> Path:
    """The HTML book for the plain-HTML scans (no Chromium needed): ``CASES_BROWSER_BOOK`` if
    set, else the run's one full build."""
    reuse = os.environ.get("CASES_BROWSER_BOOK")
    if reuse:
        return Path(reuse)
    return request.getfixturevalue("full_build") / "book" / "_build" / "html"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass


def _serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer((LOCAL_HOST, 0), handler)  # port 0: a free port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://{LOCAL_HOST}:{server.server_address[1]}/"


@pytest.fixture(scope="session")
def book_url(built_book: Path) -> Iterator[str]:
    server, url = _serve(built_book)
    yield url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser(chromium_paths, tmp_path_factory: pytest.TempPathFactory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = chromium_paths
    options = webdriver.ChromeOptions()
    options.binary_location = str(binary)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(driver_path)), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


# --------------------------------------------------------------------------- helpers


def _pages(html: Path) -> list[str]:
    """Every HTML page of the book, relative to the build folder (no theme/static files)."""
    return sorted(
        str(p.relative_to(html))
        for p in html.rglob("*.html")
        if not any(part.startswith("_") for part in p.relative_to(html).parts)
    )


def _drain_logs(driver) -> tuple[list[str], list[str]]:
    """(requested URLs, console errors) since the last call; reading the logs empties them."""
    requests = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            requests.append(message["params"]["request"]["url"])
    errors = [
        f"{e['level']}: {e['message']}" for e in driver.get_log("browser") if e["level"] == "SEVERE"
    ]
    return requests, errors


def _foreign(urls: list[str]) -> list[str]:
    return [
        u
        for u in urls
        if urlsplit(u).scheme not in LOCAL_SCHEMES and urlsplit(u).hostname != LOCAL_HOST
    ]


def _load(driver, url: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


BROKEN_IMAGES_JS = """
const done = arguments[arguments.length - 1];
const images = [...document.images];
Promise.all(images.map(img => img.decode().catch(() => null))).then(() => {
  done(images.filter(img => !img.complete || img.naturalWidth === 0)
             .map(img => img.currentSrc || img.src || img.outerHTML.slice(0, 120)));
});
"""


def _screenshot(driver, target: Path) -> None:
    """A full-page PNG: the viewport is stretched to the page's height, then captured."""
    import base64

    width = 1280
    height = driver.execute_script(
        "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)"
    )
    height = min(int(height), MAX_SCREENSHOT_HEIGHT)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        shot = driver.execute_cdp_cmd(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
        )
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(base64.b64decode(shot["data"]))


#: Tables that overflow their container with no scroll box to hold them: for each table in
#: the article, the nearest ancestor that scrolls sideways (overflow-x auto or scroll) holds
#: it; without one, the table must fit its parent (scrollWidth <= clientWidth) and end inside
#: the article. Hidden tables (itables' static preview once the script ran) are skipped.
CLIPPED_TABLES_JS = """
const article = document.querySelector('article');
if (!article) return [];
const right = article.getBoundingClientRect().right;
return [...article.querySelectorAll('table')].flatMap((table, i) => {
  if (table.offsetParent === null) return [];
  for (let p = table.parentElement; p && p !== article; p = p.parentElement) {
    const overflow = getComputedStyle(p).overflowX;
    if (overflow === 'auto' || overflow === 'scroll') {
      return p.getBoundingClientRect().right <= right + 1 ? [] : [i];
    }
  }
  const parent = table.parentElement;
  const wide = Math.max(table.scrollWidth, table.getBoundingClientRect().width);
  return wide > parent.clientWidth + 1 || table.getBoundingClientRect().right > right + 1
    ? [i] : [];
});
"""


# --------------------------------------------------------------------------- machinery scans

#: Parts of the table of contents whose pages document the software, where identifiers, file
#: names and parameters are the subject (matched by the start of the part's caption).
SOFTWARE_PARTS = ("for authors", "reference")
#: Sections of reader chapters that tell a researcher how to run the page on their own data
#: (column names and options are their subject); the identifier scan skips them (and only
#: them). The simulation pages are scanned whole: the generator's equations, parameter names
#: and table formats are in the authors' guide.
SOFTWARE_SECTIONS = ("Using your own data", "Your own questionnaire")
#: Identifiers still on reader pages that no text template or display name can change yet,
#: with why (page -> tokens). The scan fails on any other identifier.
KNOWN_IDENTIFIERS: dict[str, set[str]] = {}
#: File paths still in reader prose (page -> paths). None: the census and cross-case chapters
#: link the book's page "Data and coding documentation" instead. The scan fails on any path.
KNOWN_FILE_PATHS: dict[str, set[str]] = {}
#: Two or more lowercase words joined by underscores (``kind_label``, ``poverty_line_2014``):
#: a program identifier. Single letters do not count as words (``y_it``, ``mu_t`` are maths),
#: and a token inside a path or dotted name is left to the path check.
SNAKE_CASE = re.compile(r"(?<![\w./\\-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/])")
_WORD = re.compile(r"[a-z][a-z0-9]+")
_URL = re.compile(r"(?:https?://|www\.)\S+")
#: A file name or path in prose: ``params/h_county.yaml``, ``data/README.md``.
FILE_PATH = re.compile(
    r"(?<![\w])(?:[\w.-]+/)*[\w-]+\.(?:ya?ml|md|py|ipynb|csv|json|parquet|txt)\b"
)
#: What itables tells notebook users (init_notebook_mode notice, trust hint, static-preview
#: marks, loading line): never for a reader, with or without JavaScript.
ITABLES_NOTICES = ("init_notebook_mode", "is your notebook", "🔒", "ⓘ", "Loading ITables")
_NUMBER = re.compile(r"^[−+\-]?\d[\d,]*(\.\d+)?\s*%?$")


def reader_pages(toc_file: Path) -> list[str]:
    """The HTML pages of the reader's parts of the book (``_toc.yml``), root included;
    the parts of :data:`SOFTWARE_PARTS` are left out."""
    import yaml

    toc = yaml.safe_load(toc_file.read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", []):
        if not part.get("caption", "").lower().startswith(SOFTWARE_PARTS):
            walk(part.get("chapters", []))
    return [f"{name}.html" for name in files]


def snake_case_tokens(text: str) -> list[str]:
    """The identifiers of :data:`SNAKE_CASE` in ``text`` (URLs and file paths left out)."""
    text = FILE_PATH.sub(" ", _URL.sub(" ", text))
    return [
        token
        for token in SNAKE_CASE.findall(text)
        if sum(bool(_WORD.fullmatch(part)) for part in token.split("_")) >= 2
    ]


def scan_page(page_html: str) -> dict[str, list[str]]:
    """What a reader would see of the machinery on one built page (its ``<article>``):

    - ``identifier``: :func:`snake_case_tokens` of the visible text, outside code blocks,
      scripts and hidden elements, and outside :data:`SOFTWARE_SECTIONS` (inline code counts:
      a reader sees it);
    - ``file path``: :data:`FILE_PATH` in that text, tables' provenance lines left out;
    - ``bold number``: a glued value (``span.pasted-text``) or a bare number set in
      ``<strong>``/``<b>``;
    - ``itables notice``: :data:`ITABLES_NOTICES` anywhere in the article's HTML, ``<noscript>``
      included (what a reader without JavaScript sees);
    - ``code cell``: a parameters or papermill's injected-parameters cell, or a folded
      ("Show code cell") cell.
    """
    from bs4 import BeautifulSoup

    article = BeautifulSoup(page_html, "html.parser").find("article")
    found: dict[str, list[str]] = {
        "identifier": [],
        "file path": [],
        "bold number": [],
        "itables notice": [],
        "code cell": [],
    }
    if article is None:
        return found
    raw = str(article)
    found["itables notice"] = [notice for notice in ITABLES_NOTICES if notice in raw]
    cells = article.select(".tag_parameters, .tag_injected-parameters, details.hide")
    found["code cell"] = [" ".join(c.get("class", [])) for c in cells]
    found["code cell"] += ["Show code cell"] if "Show code cell" in article.get_text() else []
    for strong in article.find_all(["strong", "b"]):
        text = strong.get_text(" ", strip=True)
        if strong.select("span.pasted-text") or strong.find_parent(class_="pasted-text"):
            found["bold number"].append(text)
        elif _NUMBER.match(text):
            found["bold number"].append(text)
    hidden = "script, style, noscript, template, pre, div.highlight, .headerlink, [hidden]"
    for element in article.select(hidden):
        element.decompose()
    for element in article.find_all(style=re.compile(r"display:\s*none")):
        element.decompose()
    for section in article.find_all("section"):
        heading = section.find(["h1", "h2", "h3", "h4"])
        title = heading.get_text(" ", strip=True).rstrip("#").strip() if heading else ""
        if title in SOFTWARE_SECTIONS:
            section.decompose()
    text = " ".join(article.get_text(" ").split())
    found["identifier"] = snake_case_tokens(text)
    # A table's provenance line may name the file its numbers come from; prose may not.
    for element in article.select(".cases-provenance"):
        element.decompose()
    prose = " ".join(article.get_text(" ").split())
    found["file path"] = FILE_PATH.findall(_URL.sub(" ", prose))
    return found


def scan_book(html: Path, toc_file: Path) -> dict[str, list[str]]:
    """:func:`scan_page` over :func:`reader_pages`: ``{kind: ["page: finding", ...]}``, with
    the identifiers of :data:`KNOWN_IDENTIFIERS` under ``known identifier`` and the paths of
    :data:`KNOWN_FILE_PATHS` under ``known file path``."""
    report: dict[str, list[str]] = {}
    for page in reader_pages(toc_file):
        found = scan_page((html / page).read_text(encoding="utf-8"))
        for kind, items in found.items():
            for item in items:
                key = kind
                if kind == "identifier" and item in KNOWN_IDENTIFIERS.get(page, set()):
                    key = "known identifier"
                if kind == "file path" and item in KNOWN_FILE_PATHS.get(page, set()):
                    key = "known file path"
                report.setdefault(key, []).append(f"{page}: {item}")
    return report


# --------------------------------------------------------------------------- tests


def test_every_page_loads_offline_without_errors(browser, built_book, book_url):
    pages = _pages(built_book)
    assert "index.html" in pages and "cross_case.html" in pages and len(pages) >= 15
    _drain_logs(browser)
    problems: list[str] = []
    links: dict[str, set[str]] = {}
    n_images = 0
    for page in pages:
        _load(browser, book_url + page)
        broken = browser.execute_async_script(BROKEN_IMAGES_JS)
        n_images += browser.execute_script("return document.images.length")
        hrefs = browser.execute_script(
            "return [...document.querySelectorAll('a[href]')].map(a => a.href)"
        )
        # No machinery on the page (issue 22): numbers glued into sentences in plain weight,
        # and no folded parameter or set-up cells.
        bold = browser.execute_script(
            "return [...document.querySelectorAll('span.pasted-text')]"
            ".filter(s => Number(getComputedStyle(s).fontWeight) >= 600).length"
        )
        problems += [f"{page}: {bold} glued number(s) shown in bold"] if bold else []
        if browser.execute_script("return document.body.innerText.includes('Show code cell')"):
            problems.append(f"{page}: a folded code cell is shown to the reader")
        # A table wider than the text column sits in a scroll container, never cut off.
        clipped = browser.execute_script(CLIPPED_TABLES_JS)
        problems += [f"{page}: table {n} is cut off at the column's edge" for n in clipped]
        shown = browser.execute_script("return document.body.innerText")
        problems += [f"{page}: itables shows {n!r}" for n in ITABLES_NOTICES if n in shown]
        requests, errors = _drain_logs(browser)
        problems += [f"{page}: request to another host: {u}" for u in _foreign(requests)]
        problems += [f"{page}: console {e}" for e in errors]
        problems += [f"{page}: image did not load: {src}" for src in broken]
        for href in hrefs:
            if urlsplit(href).hostname == LOCAL_HOST:
                links.setdefault(href, set()).add(page)
    assert n_images >= 10, "the book's figures were expected on its pages"
    assert not problems, "\n".join(problems)

    # Every link to a page of the book resolves, and so does its #fragment.
    bodies: dict[str, str] = {}
    for href, sources in sorted(links.items()):
        target, fragment = urldefrag(href)
        if target not in bodies:
            try:
                with urllib.request.urlopen(target, timeout=10) as response:
                    assert response.status == 200
                    bodies[target] = response.read().decode("utf-8", "replace")
            except urllib.error.HTTPError as exc:
                problems.append(f"{href} (linked from {sorted(sources)[0]}): HTTP {exc.code}")
                continue
        if fragment and not re.search(rf'id=["\']{re.escape(fragment)}["\']', bodies[target]):
            problems.append(f"{href} (linked from {sorted(sources)[0]}): no id {fragment!r}")
    assert len(links) >= 20
    assert not problems, "\n".join(problems)


def test_search_finds_liupanshui(browser, book_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _drain_logs(browser)
    _load(browser, book_url + "search.html?q=Liupanshui")
    results = WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "ul.search li") or False
    )
    titles = " ".join(r.text for r in results)
    assert "Liupanshui" in titles
    requests, errors = _drain_logs(browser)
    assert not _foreign(requests) and not errors, (_foreign(requests), errors)


def test_full_page_screenshots(browser, book_url):
    for name, page in SCREENSHOTS.items():
        _load(browser, book_url + page)
        target = ARTIFACTS / f"{name}.png"
        _screenshot(browser, target)
        data = target.read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 20_000, name
        # PNG header: width and height are the big-endian integers at bytes 16-24.
        width = int.from_bytes(data[16:20], "big")
        height = int.from_bytes(data[20:24], "big")
        assert width == 1280 and height > 1000, (name, width, height)


def test_reader_pages_show_no_machinery(html_book):
    """Issue 22: no identifier outside code, no file path in prose, no bold glued number, no
    itables notice and no parameter or folded code cell on the reader's pages (plain HTML
    scans of the built book; :data:`KNOWN_IDENTIFIERS` and :data:`KNOWN_FILE_PATHS` list
    what remains to be fixed)."""
    found = scan_book(html_book, paths.BOOK / "_toc.yml")
    assert len(reader_pages(paths.BOOK / "_toc.yml")) >= 15
    problems = [
        f"{kind}: {item}"
        for kind in ("identifier", "file path", "bold number", "itables notice", "code cell")
        for item in found.get(kind, [])
    ]
    assert not problems, "\n".join(problems)


def test_the_scans_find_what_they_look_for():
    """The scans on a page with one planted case of each finding (and none of the look-alikes
    they must leave alone: maths subscripts, code blocks, URLs, software sections)."""
    page = """<html><body><article>
      <p>The parameter <code>poverty_line_2014</code> and the column kind_label, with
      y_it and mu_t, see https://example.org/a_b_c and data/cases/h_county.yaml.</p>
      <p>Mean <strong><span class="pasted-text">0.186</span></strong>, count <b>16,000</b>,
      <strong>Caching.</strong></p>
      <div class="highlight"><pre>household_id = 1</pre></div>
      <section><h2>Using your own data</h2><p>household_size is a column.</p></section>
      <noscript>This is the <code>init_notebook_mode</code> cell</noscript>
      <div class="cell tag_injected-parameters docutils container">case = "h_county"</div>
    </article></body></html>"""
    found = scan_page(page)
    assert found["identifier"] == ["poverty_line_2014", "kind_label"]
    assert found["file path"] == ["data/cases/h_county.yaml"]
    assert found["bold number"] == ["0.186", "16,000"]
    assert found["itables notice"] == ["init_notebook_mode"]
    assert found["code cell"] == ["cell tag_injected-parameters docutils container"]
    clean = scan_page("<article><p>Multi-actor participation, 0.186 and 1.701.</p></article>")
    assert not any(clean.values())


# --------------------------------------------------------------------------- interactive tables


@pytest.fixture(scope="module")
def interactive_page(tmp_path_factory: pytest.TempPathFactory, chromium_paths) -> Iterator[str]:
    """A page made of the outputs of a notebook that calls ``report.interactive_table``,
    executed headless by nbclient, exactly as myst-nb would place them in the book."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import pandas as pd\n"
            "from cases.present import report\n"
            "frame = pd.DataFrame({'village': [f'Village {i:02d}' for i in range(1, 41)],\n"
            "                      'households': [(i * 37) % 101 for i in range(1, 41)]})\n"
            "report.interactive_table(frame, simulated=True, caption='Forty villages')"
        )
    ]
    NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    outputs = nb.cells[0].outputs
    fragments = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert len(fragments) >= 2, "the itables bundle and the table are both embedded"
    notices = [n for n in ITABLES_NOTICES if any(n in f for f in fragments)]
    assert not notices, f"itables' notices reach the page: {notices}"
    plain = [o["data"]["text/plain"] for o in outputs if o.get("output_type") == "execute_result"]
    assert plain and "Village 40" in plain[0], "a plain-text fallback for consoles"
    folder = tmp_path_factory.mktemp("itables")
    (folder / "index.html").write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>t</title>"
        "<link rel='icon' href='data:,'></head><body>" + "\n".join(fragments) + "</body></html>",
        encoding="utf-8",
    )
    server, url = _serve(folder)
    yield url + "index.html"
    server.shutdown()
    server.server_close()


def test_interactive_table_is_searchable_and_sortable_offline(browser, interactive_page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _drain_logs(browser)
    _load(browser, interactive_page)
    WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "table.dataTable tbody tr")
    )

    def first_cells() -> list[str]:
        # One script call: DataTables redraws rows, so element handles would go stale.
        return browser.execute_script(
            "return [...document.querySelectorAll('table.dataTable tbody tr')]"
            ".map(r => r.cells[0] ? r.cells[0].textContent.trim() : '')"
        )

    assert first_cells()[0] == "Village 01"
    search = browser.find_element(By.CSS_SELECTOR, "input[type=search]")
    search.send_keys("Village 17")
    WebDriverWait(browser, 10).until(lambda d: first_cells() == ["Village 17"])
    search.clear()
    search.send_keys(" ")  # an input event resets the filter
    WebDriverWait(browser, 10).until(lambda d: len(first_cells()) > 1)
    # Sort by households (the order icon of the second column): ascending, then descending.
    households = {f"Village {i:02d}": (i * 37) % 101 for i in range(1, 41)}
    fewest = min(households, key=households.get)
    most = max(households, key=households.get)
    icon = "table.dataTable thead th[data-dt-column='1'] .dt-column-order"
    browser.find_element(By.CSS_SELECTOR, icon).click()
    WebDriverWait(browser, 10).until(lambda d: first_cells()[0] == fewest)
    browser.find_element(By.CSS_SELECTOR, icon).click()
    WebDriverWait(browser, 10).until(lambda d: first_cells()[0] == most)
    assert "Simulated data" in browser.find_element(By.TAG_NAME, "body").text
    requests, errors = _drain_logs(browser)
    assert not _foreign(requests), _foreign(requests)
    assert not errors, errors


def test_artifacts_folder_is_git_ignored():
    ignored = (paths.ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "test-artifacts/" in ignored
    assert shutil.which("git") is None or ARTIFACTS.is_relative_to(paths.ROOT)


def main(argv: list[str] | None = None) -> int:
    """``python tests/test_browser.py HTML_DIR [TOC]``: print the machinery scans of a built
    book (:func:`scan_book`), kind by kind; exit 1 if any of the failing kinds has findings."""
    import sys
    from collections import Counter

    args = sys.argv[1:] if argv is None else argv
    html = Path(args[0]) if args else paths.BOOK / "_build" / "html"
    toc = Path(args[1]) if len(args) > 1 else paths.BOOK / "_toc.yml"
    found = scan_book(html, toc)
    failing = ("identifier", "file path", "bold number", "itables notice", "code cell")
    for kind in (*failing, "known identifier", "known file path"):
        items = found.get(kind, [])
        print(f"{kind}: {len(items)}")
        for item, n in sorted(Counter(items).items()):
            print(f"  {item}" + (f" (x{n})" if n > 1 else ""))
    return 1 if any(found.get(kind) for kind in failing) else 0


if __name__ == "__main__":
    raise SystemExit(main())
