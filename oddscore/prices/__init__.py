"""Prices: the I/O-free conventions every layer shares (odds formats, the realism defaults).

Below storage, queries and the settings, so that they can convert a stored American price or
default a commission without depending on the betting analytics built above them.
"""
