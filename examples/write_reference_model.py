"""Write the reference model of an antiferromagnetic CrI3-like bilayer as a Wannier90 seedname_tb.dat.

    python examples/write_reference_model.py [OUTPUT]      (default: examples/cri3_like_bilayer_tb.dat)

The model (four bands, PT and C2y kept, P, T and C2z broken) is defined in
aiida_orbmag.physics.reference_models.cri3_like_bilayer; at half filling (mu in -0.42 .. 0.12 eV) it is an
insulator with chi = (3.47286342e-3, 0) (e²/hbar) Å = (8.4535e-8, 0) nm/Ohm.
"""

import pathlib
import sys

from aiida_orbmag.io.wannier90 import write_tb_dat
from aiida_orbmag.physics.reference_models import cri3_like_bilayer

if __name__ == "__main__":
    default = pathlib.Path(__file__).parent / "cri3_like_bilayer_tb.dat"
    output = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else default
    write_tb_dat(cri3_like_bilayer(), output, header="cri3_like_bilayer reference model (aiida-orbmag)")
    print(f"Wrote {output}")
