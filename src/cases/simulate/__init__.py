"""Simulate layer: seeded generators of simulated field data, one world per case.

:mod:`cases.simulate.synth` draws households, villages, panels and ledgers from the
parameters in ``data/synth/`` (never from a thesis's data, which are not public); every table
it returns is marked simulated so the shared helpers stamp each exhibit. Imports only the core
and data layers.
"""
