"""AiiDA parser plugins of aiida-orbmag."""

from .wannier90 import Wannier90Parser

__all__ = ("Wannier90Parser",)
