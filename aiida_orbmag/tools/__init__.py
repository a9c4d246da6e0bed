"""Queries over finished chains: the screening results table, provenance, and results for the plots."""
