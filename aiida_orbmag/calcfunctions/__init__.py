"""Thin AiiDA shims: nodes -> arrays -> physics core -> nodes, with exit codes for invalid inputs."""

from .susceptibility import EXIT_CODES, compute_susceptibility

__all__ = ("EXIT_CODES", "compute_susceptibility")
