"""Run layer: turns templates and parameters into the book, and checks it.

The papermill runner with its cache (:mod:`cases.run.pipeline`), specification sweeps
(:mod:`cases.run.sweep`), the scaffold of a new case (:mod:`cases.run.scaffold`), the quiet
kernel manager (:mod:`cases.run.kernel`), the offline Sphinx extension
(:mod:`cases.run.sphinx_offline`) and the ``cases`` command (:mod:`cases.run.cli`). The top
layer: it may import every layer below, and nothing imports it.
"""
