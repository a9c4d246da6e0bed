"""Pure numpy/scipy physics core: no aiida import below this package."""
