"""Methods layer: statistical methods; imports only from core and data layers.

Modules here turn validated tables into estimates and indicators. They read data only through
the data layer (for example :func:`cases.data.public_data.load_table`) and never write files.
"""
