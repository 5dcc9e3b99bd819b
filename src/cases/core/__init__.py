"""Core layer: what every other layer stands on, and nothing domain-specific.

Project paths anchored on the package (:mod:`cases.core.paths`), the exception types
(:mod:`cases.core.errors`), writes that never leave a half-written file (:mod:`cases.core.atomic`)
and the results manifest: how a published number is keyed, stored and compared within its
tolerance (:mod:`cases.core.manifest`). Modules here import nothing from the other layers.
"""
