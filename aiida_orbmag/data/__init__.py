"""AiiDA data plugins of aiida-orbmag."""

from .tight_binding import TightBindingData

__all__ = ("TightBindingData",)
