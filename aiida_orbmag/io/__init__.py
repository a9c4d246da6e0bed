"""File formats (Wannier90 *_tb.dat, *_hr.dat, HDF5 model files): pure, no aiida import."""
