"""AiiDA CalcJob plugins of aiida-orbmag."""

from .wannier90 import Wannier90Calculation

__all__ = ("Wannier90Calculation",)
