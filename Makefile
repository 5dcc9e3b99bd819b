# Two commands on a fresh machine with python3 (3.11+), make and the package index:
#   make book   set everything up, execute every notebook, build the HTML book offline
#   make test   set up the same environment and run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# The stamp records which lock file the venv was built from; a changed lock rebuilds it.
STAMP := $(VENV)/.installed
# pip's warnings about a machine's own index settings (e.g. an extra index folder that does
# not exist) would print one line per package and bury real problems; errors still show.
# `make PIP_QUIET=--quiet venv` shows the warnings again.
PIP_QUIET ?= --quiet --quiet

.PHONY: help venv book pdf run test verify bench lint lock clean distclean browser tex

help:
	@echo "make book    set up .venv, run every notebook with papermill, build the HTML book"
	@echo "make pdf     the book as a PDF (XeLaTeX, Noto CJK fonts; installs TeX Live if root)"
	@echo "make test    set up .venv and run the pytest suite"
	@echo "make verify  re-execute everything from a clean copy and compare with results/"
	@echo "make bench   run the benchmarks (prints timings and memory)"
	@echo "make lint    ruff check and format check"
	@echo "make lock    re-resolve requirements.lock from pyproject.toml"
	@echo "make clean   remove generated book output and caches"

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ required, found " + sys.version.split()[0]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_QUIET) --upgrade "pip>=24"
	$(BIN)/python -m pip install $(PIP_QUIET) -r requirements.lock
	$(BIN)/python -m pip install $(PIP_QUIET) --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (cases)" >/dev/null
	touch $(STAMP)

book: $(STAMP)
	$(BIN)/cases build --jobs $(JOBS)
	@echo "The book is at: $(CURDIR)/book/_build/html/index.html"

# The PDF edition: run every notebook (cached), then build book/_build/latex/book.pdf with
# XeLaTeX and fail on any "Missing character" in its log (python -m cases.run.pdf).
pdf: $(STAMP) tex
	$(BIN)/cases run --all --jobs $(JOBS)
	$(BIN)/python -m cases.run.pdf

# TeX Live for the PDF edition, from Debian's packages, installed only when missing and only as
# root with apt-get (like the browser target). The minimal set for Sphinx's LaTeX with XeLaTeX:
# xelatex and fontspec, the LaTeX packages Sphinx loads (fncychap, titlesec, tabulary, capt-of,
# needspace, wrapfig... are in texlive-latex-extra), latexmk, and the Noto CJK fonts that set
# every character (book/_config.yml). Without root the PDF build stops with the list.
TEX_PACKAGES := texlive-xetex texlive-latex-recommended texlive-latex-extra \
	texlive-fonts-recommended latexmk fonts-noto-cjk
tex:
	@if command -v xelatex >/dev/null 2>&1 && command -v latexmk >/dev/null 2>&1 \
		&& kpsewhich fncychap.sty >/dev/null 2>&1 \
		&& [ -e /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing $(TEX_PACKAGES) for the PDF edition"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends $(TEX_PACKAGES) >/dev/null; \
	else \
		echo "make pdf needs TeX Live and the Noto CJK fonts: as root, apt-get install" \
			"--no-install-recommends $(TEX_PACKAGES)"; \
		exit 1; \
	fi

run: $(STAMP)
	$(BIN)/cases run --all --jobs $(JOBS)

test: $(STAMP) browser
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup --durations=15

# Headless Chromium for tests/test_browser.py, with a CJK font so pages show Chinese text, from
# Debian's packages (a browser download of its own would not work offline). Installed only when
# missing and only as root with apt-get; otherwise say so and carry on: the test then skips.
CHROMIUM_PACKAGES := chromium chromium-driver fonts-noto-cjk
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] \
		&& [ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing $(CHROMIUM_PACKAGES) for the browser test"; \
		(apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends $(CHROMIUM_PACKAGES) >/dev/null) \
		|| echo "make browser: apt-get failed; tests/test_browser.py will be skipped"; \
	else \
		echo "make browser: Chromium is missing and needs root and apt-get to install;" \
			"tests/test_browser.py will be skipped"; \
	fi

verify: $(STAMP)
	$(BIN)/cases verify --jobs $(JOBS)

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

lock: $(STAMP)
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url \
		--output-file requirements.lock pyproject.toml

clean:
	rm -rf book/_build book/_generated .cache test-artifacts
	find book -name '*.ipynb' -delete

distclean: clean
	rm -rf $(VENV)
