"""Hostile inputs and faults: what bakery_io must survive without a traceback or a lost row."""
