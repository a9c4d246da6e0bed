"""aiida-orbmag: orbital magnetoelectric (chi) and magnetothermal (alpha) susceptibilities of 2D magnets."""

__version__ = "0.1.0"
