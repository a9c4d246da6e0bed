"""The tight-binding model of a 2D crystal in a basis of Wannier functions.

Conventions (Wannier90's): ``hamiltonian[r, m, n] = <0 m|H|R n>`` in eV and ``position[r, m, n, a] = <0 m|r_a|R n>``
in Å, both as written to ``seedname_tb.dat``, i.e. *not yet divided* by the Wigner-Seitz degeneracy
``degeneracy[r]``. ``lattice`` holds the lattice vectors as rows (Å). ``centres`` are the Wannier centres in
Cartesian Å (the diagonal of the R = 0 position matrix when that matrix is known).

A model is two-dimensional when a1 and a2 lie in the xy plane; a3 spans the vacuum of a slab. Terms with R3 != 0
are folded in at k_z = 0 (see :meth:`TightBindingModel.out_of_plane_hopping`).
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np

from .conventions import DEFAULT_MAX_OUT_OF_PLANE_HOPPING_EV

LOGGER = logging.getLogger(__name__)

#: Largest anti-Hermitian part (eV) of H(R) - H(-R)^dagger accepted as round-off of a written file.
HERMITICITY_TOL_EV = 1e-5
#: Largest anti-Hermitian part (Å) of the R = 0 position block accepted: it is <r> of orthonormal Wannier functions,
#: Hermitian in any correct file (wannier90 3.1 writes it Hermitian to 1e-11 Å). Off R = 0 wannier90's r(R), from the
#: finite-difference formula on the k-grid, is not Hermitian (up to 0.5 Å at the Wigner-Seitz boundary on a real
#: Ni bilayer): there the Hermitian part is used (:meth:`TightBindingModel.position_hermitian_part`).
POSITION_HERMITICITY_TOL_ANGSTROM = 1e-4
#: Largest |R| component (lattice units) and Wigner-Seitz weight accepted: far beyond any Wannier90 supercell, far
#: below where integer arithmetic or phases k.R lose precision.
MAX_LATTICE_INDEX = 1_000_000
#: Largest lattice vector component accepted (Å): a slab's vacuum is tens of Å, a supercell hundreds.
MAX_LATTICE_ANGSTROM = 1e5
#: Bytes of H(R) per block of the Hermiticity check, which bounds its temporaries.
_HERMITICITY_BLOCK_BYTES = 2**20
#: In-plane lattice vectors may have |z| up to this (Å).
PLANARITY_TOL_ANGSTROM = 1e-6


@dataclasses.dataclass(frozen=True, eq=False)
class TightBindingModel:
    """A Wannier tight-binding model: H(R) (eV), optional position matrix r(R) (Å), lattice and centres (Å).

    :param lattice: (3, 3) lattice vectors a1, a2, a3 as rows, Å.
    :param r_vectors: (nR, 3) integer lattice vectors R in units of a1, a2, a3.
    :param degeneracy: (nR,) Wigner-Seitz degeneracy weights; the hopping is ``hamiltonian[r] / degeneracy[r]``.
    :param hamiltonian: (nR, nw, nw) complex, eV, ``<0 m|H|R n>``.
    :param centres: (nw, 3) Wannier centres, Cartesian Å.
    :param position: (nR, nw, nw, 3) complex, Å, ``<0 m|r|R n>``, or None when only the centres are known
        (then only the diagonal-position, "tight-binding", approximation is available).
    :param spinor: whether the Wannier functions are spinors, None when unknown.
    :param fermi_energy: Fermi level of the DFT calculation (eV), None when unknown.
    :param source: where the model came from (a file name, or a builder's name).
    :param mdrs: whether wannier90's minimal-distance replica shifts (``seedname_wsvec.dat``) are folded into
        ``r_vectors`` / ``hamiltonian`` / ``position`` (:func:`aiida_orbmag.physics.mdrs.apply_mdrs`); False for a
        plain Wigner-Seitz model (wannier90 run with ``use_ws_distance = .false.``, or shifts not applied).
    """

    lattice: np.ndarray
    r_vectors: np.ndarray
    degeneracy: np.ndarray
    hamiltonian: np.ndarray
    centres: np.ndarray
    position: np.ndarray | None = None
    spinor: bool | None = None
    fermi_energy: float | None = None
    source: str = ""
    mdrs: bool = False

    def __post_init__(self):
        set_ = object.__setattr__  # frozen dataclass: normalise dtypes once, here
        set_(self, "lattice", np.ascontiguousarray(self.lattice, dtype=float))
        set_(self, "r_vectors", _integers(self.r_vectors, "r_vectors", MAX_LATTICE_INDEX))
        set_(self, "degeneracy", _integers(self.degeneracy, "degeneracy", MAX_LATTICE_INDEX))
        set_(self, "hamiltonian", np.ascontiguousarray(self.hamiltonian, dtype=complex))
        set_(self, "centres", np.ascontiguousarray(self.centres, dtype=float))
        if self.position is not None:
            set_(self, "position", np.ascontiguousarray(self.position, dtype=complex))
        self._validate()

    # ----------------------------------------------------------------------------------------------- validation
    def _validate(self):
        nw = self.num_wann
        nr = len(self.r_vectors)
        for name in ("lattice", "hamiltonian", "centres", "position"):
            value = getattr(self, name)
            if value is not None and not np.all(np.isfinite(value)):
                raise ValueError(
                    f"The model's {name} contains NaN or infinite values; check the file it was read from."
                )
        if self.lattice.shape != (3, 3):
            raise ValueError(
                f"lattice must be a 3x3 array of lattice vectors (rows, Å), got shape {self.lattice.shape}."
            )
        if np.abs(self.lattice).max() > MAX_LATTICE_ANGSTROM:
            raise ValueError(
                f"A lattice vector component of {np.abs(self.lattice).max():.3g} Å exceeds "
                f"{MAX_LATTICE_ANGSTROM:.0e} Å; the lattice must be given in Å (check the file's header)."
            )
        if abs(np.linalg.det(self.lattice)) < 1e-8:
            raise ValueError("The lattice vectors are linearly dependent; give three independent vectors a1, a2, a3.")
        if self.r_vectors.ndim != 2 or self.r_vectors.shape[1] != 3:
            raise ValueError(f"r_vectors must have shape (nR, 3), got {self.r_vectors.shape}.")
        if self.degeneracy.shape != (nr,) or np.any(self.degeneracy < 1):
            raise ValueError(
                f"degeneracy must hold one positive Wigner-Seitz weight per R vector ({nr}), "
                f"got shape {self.degeneracy.shape} with minimum {self.degeneracy.min(initial=1)}."
            )
        if self.hamiltonian.shape != (nr, nw, nw):
            raise ValueError(
                f"hamiltonian must have shape (nR, nw, nw) = ({nr}, {nw}, {nw}), got {self.hamiltonian.shape}."
            )
        if self.centres.shape != (nw, 3):
            raise ValueError(f"centres must have shape (num_wann, 3) = ({nw}, 3), got {self.centres.shape}.")
        if self.position is not None and self.position.shape != (nr, nw, nw, 3):
            raise ValueError(
                f"position must have shape (nR, nw, nw, 3) = ({nr}, {nw}, {nw}, 3), got {self.position.shape}."
            )
        if len(np.unique(self.r_vectors, axis=0)) != nr:
            raise ValueError("r_vectors contains repeated R vectors; each R must appear once.")
        self._check_hermitian()

    def _check_hermitian(self):
        """H(-R) must equal H(R)^dagger for H(k) to be Hermitian, and the R = 0 position block must be Hermitian
        (real centres on its diagonal)."""
        minus = self._minus_r()
        error = 0.0
        block = max(1, _HERMITICITY_BLOCK_BYTES // self.hamiltonian[0].nbytes)
        for start in range(0, len(minus), block):  # in blocks of R: no temporaries the size of H
            part = slice(start, start + block)
            hop = self.hamiltonian[part] / self.degeneracy[part, None, None]
            partner = self.hamiltonian[minus[part]] / self.degeneracy[minus[part], None, None]
            error = max(error, float(np.abs(hop - np.conj(np.swapaxes(partner, 1, 2))).max(initial=0.0)))
        if error > HERMITICITY_TOL_EV:
            raise ValueError(
                f"The Hamiltonian is not Hermitian: max |H(R) - H(-R)^dagger| = {error:.3e} eV exceeds "
                f"{HERMITICITY_TOL_EV:.0e} eV; check that the file is complete and uncorrupted."
            )
        if self.position is not None:
            zero = self.r_index.get((0, 0, 0))
            if zero is None:
                raise ValueError("The model has no R = (0, 0, 0) block; the file is not a complete Wannier90 model.")
            onsite = self.position[zero] / self.degeneracy[zero]
            error = float(np.abs(onsite - np.conj(np.swapaxes(onsite, 0, 1))).max(initial=0.0))
            if error > POSITION_HERMITICITY_TOL_ANGSTROM:
                raise ValueError(
                    f"The position matrix of the home cell (R = 0) is not Hermitian: max |r(0) - r(0)^dagger| = "
                    f"{error:.3e} Å exceeds {POSITION_HERMITICITY_TOL_ANGSTROM:.0e} Å (its diagonal, the Wannier "
                    "centres, must be real); check that the file is complete and uncorrupted."
                )

    def _minus_r(self) -> np.ndarray:
        """Index of -R for each R; ValueError when the set is not closed under R -> -R."""
        index = self.r_index
        minus = np.array([index.get(tuple(-r), -1) for r in self.r_vectors], dtype=np.int64)
        if np.any(minus < 0):
            missing = self.r_vectors[np.argmax(minus < 0)]
            raise ValueError(
                f"The R vectors are not closed under R -> -R (R = {missing.tolist()} has no partner), so H(k) "
                "cannot be Hermitian; the file is truncated or not a Wannier90 model."
            )
        return minus

    # ---------------------------------------------------------------------------------------------- properties
    @property
    def num_wann(self) -> int:
        return self.hamiltonian.shape[-1]

    @property
    def num_r(self) -> int:
        return len(self.r_vectors)

    @property
    def has_position(self) -> bool:
        return self.position is not None

    @property
    def r_index(self) -> dict[tuple[int, int, int], int]:
        return {tuple(int(x) for x in r): i for i, r in enumerate(self.r_vectors)}

    @property
    def r_cartesian(self) -> np.ndarray:
        """(nR, 3) lattice vectors R in Cartesian Å."""
        return self.r_vectors @ self.lattice

    @property
    def cell_area(self) -> float:
        """Area |a1 x a2| of the 2D unit cell (Å²)."""
        return float(abs(np.cross(self.lattice[0], self.lattice[1])[2]))

    @property
    def reciprocal_lattice_2d(self) -> np.ndarray:
        """(2, 2) in-plane reciprocal vectors b1, b2 as rows (1/Å), with a_i . b_j = 2 pi delta_ij."""
        return 2 * np.pi * np.linalg.inv(self.lattice[:2, :2]).T

    def hoppings(self) -> np.ndarray:
        """(nR, nw, nw) hopping amplitudes t(R) = H(R) / degeneracy(R) (eV)."""
        return self.hamiltonian / self.degeneracy[:, None, None]

    def position_hermitian_part(self) -> np.ndarray:
        """(nR, nw, nw, 3) Hermitian part of the position matrix, [r(R) + r(-R)^dagger] / (2 degeneracy) (Å).

        The Berry connection A^W(k) = sum_R e^{ik.R} r(R) must be a Hermitian matrix; wannier90's r(R), from the
        finite-difference (Marzari-Vanderbilt) formula on the k-grid, is not exactly, most visibly at the Wigner-Seitz
        boundary. Its Hermitian part is what enters the velocity and the Berry connection, as the formulas that use
        them assume (V and A Hermitian).
        """
        r, partner = self._position_and_partner()
        return 0.5 * (r + partner)

    def position_anti_hermitian_part(self) -> float:
        """Largest |r(R) - r(-R)^dagger| / 2 (Å): what :meth:`position_hermitian_part` leaves out (0 without r)."""
        if self.position is None:
            return 0.0
        r, partner = self._position_and_partner()
        return float(0.5 * np.abs(r - partner).max(initial=0.0))

    def _position_and_partner(self) -> tuple[np.ndarray, np.ndarray]:
        """r(R) / degeneracy and r(-R)^dagger / degeneracy, (nR, nw, nw, 3) each (Å)."""
        r = self.position_hoppings()
        return r, np.conj(np.swapaxes(r[self._minus_r()], 1, 2))

    def position_hoppings(self) -> np.ndarray:
        """(nR, nw, nw, 3) position matrix elements r(R) / degeneracy(R) (Å); requires the position matrix."""
        if self.position is None:
            raise ValueError(
                "This model has no position matrix (it was built from H(R) and centres only); use the "
                "diagonal-position (tight-binding) approximation or read the model from seedname_tb.dat."
            )
        return self.position / self.degeneracy[:, None, None, None]

    # ------------------------------------------------------------------------------------------ dimensionality
    def is_planar(self) -> bool:
        """Whether a1 and a2 lie in the xy plane, so that the out-of-plane direction is z."""
        return bool(np.all(np.abs(self.lattice[:2, 2]) <= PLANARITY_TOL_ANGSTROM))

    def out_of_plane_hopping(self) -> float:
        """Largest |t(R)| (eV) over R with R3 != 0: hoppings along a3 that a 2D calculation folds in at k_z = 0."""
        mask = self.r_vectors[:, 2] != 0
        return float(np.abs(self.hoppings()[mask]).max(initial=0.0))

    def check_two_dimensional(self, max_out_of_plane_hopping: float = DEFAULT_MAX_OUT_OF_PLANE_HOPPING_EV) -> None:
        """Raise ValueError unless the model describes a 2D crystal (slab with vacuum along a3).

        :param max_out_of_plane_hopping: largest |t(R)| (eV) with R3 != 0 that is accepted and folded in at k_z = 0;
            a larger one means the model is a 3D crystal.
        """
        if not self.is_planar():
            raise ValueError(
                "The lattice vectors a1, a2 are not in the xy plane (their z components are "
                f"{self.lattice[:2, 2].tolist()} Å); rotate the structure so that the 2D layer lies in xy and a3 "
                "spans the vacuum."
            )
        if abs(self.lattice[2, 2]) < PLANARITY_TOL_ANGSTROM:
            raise ValueError("a3 has no z component; a 2D model needs a3 to span the vacuum along z.")
        hop = self.out_of_plane_hopping()
        if hop > max_out_of_plane_hopping:
            raise ValueError(
                f"This is a 3D model: hoppings along a3 reach {hop:.3e} eV (> {max_out_of_plane_hopping:.1e} eV "
                "accepted). Orbital magnetoelectric responses here are for 2D crystals: Wannierize a slab with "
                "vacuum along a3, or raise the accepted out-of-plane hopping if the layer coupling is negligible."
            )
        if hop > 0:
            LOGGER.warning("Folding hoppings along a3 (max |t| = %.3e eV) into the 2D model at k_z = 0.", hop)

    # ---------------------------------------------------------------------------------------------- variants
    def replace(self, **changes) -> TightBindingModel:
        """A copy with some fields replaced (validated again)."""
        return dataclasses.replace(self, **changes)

    def summary(self) -> dict:
        """JSON-friendly description (no arrays beyond the lattice)."""
        return {
            "num_wann": self.num_wann,
            "num_r_vectors": self.num_r,
            "lattice_angstrom": self.lattice.tolist(),
            "has_position_matrix": self.has_position,
            "spinor": self.spinor,
            "fermi_energy_eV": self.fermi_energy,
            "source": self.source,
            "mdrs_applied": bool(self.mdrs),
            "position_anti_hermitian_part_angstrom": self.position_anti_hermitian_part(),
        }


def _integers(values, name: str, bound: int) -> np.ndarray:
    """``values`` as a contiguous int64 array: ValueError for non-numbers, non-integers (a float 1.7 is not
    truncated to 1), booleans, or magnitudes beyond ``bound`` (no wrap-around of huge floats)."""
    array = np.asarray(values)
    if array.dtype == bool or not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise ValueError(f"{name} must hold integers, got an array of {array.dtype}.")
    if np.issubdtype(array.dtype, np.floating):
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            raise ValueError(f"{name} must hold integers; found non-integer or non-finite values.")
    if array.size and np.abs(array).max() > bound:
        raise ValueError(
            f"{name} holds {np.abs(array).max():.3g}, beyond the accepted {bound:.0e}; the data are corrupted."
        )
    return np.ascontiguousarray(array, dtype=np.int64)


def model_from_hoppings(
    lattice,
    centres,
    hoppings: dict[tuple[int, int, int], np.ndarray],
    *,
    position: dict[tuple[int, int, int], np.ndarray] | None = None,
    source: str = "",
    spinor: bool | None = None,
) -> TightBindingModel:
    """Build a model from a dict ``{R: t(R)}`` (eV) given for R and, optionally, -R.

    Missing partners -R are filled by Hermiticity, t(-R) = t(R)^dagger; all degeneracies are 1. When ``position``
    is None the position matrix is the diagonal one, r_mm(0) = centre_m, which makes the full-position and
    tight-binding treatments coincide.
    """
    centres = np.asarray(centres, dtype=float)
    nw = len(centres)
    full = {tuple(int(x) for x in r): np.asarray(t, dtype=complex) for r, t in hoppings.items()}
    for r, t in list(full.items()):
        full.setdefault(tuple(-x for x in r), t.conj().T)
    if (0, 0, 0) not in full:
        raise ValueError("The hoppings must include R = (0, 0, 0) (the on-site block).")
    r_vectors = np.array(sorted(full), dtype=np.int64)
    ham = np.stack([full[tuple(r)] for r in r_vectors])
    if position is None:
        pos = np.zeros((len(r_vectors), nw, nw, 3), dtype=complex)
        zero = int(np.flatnonzero(np.all(r_vectors == 0, axis=1))[0])
        pos[zero, np.arange(nw), np.arange(nw)] = centres
    else:
        pos = np.stack([np.asarray(position.get(tuple(r), np.zeros((nw, nw, 3))), dtype=complex) for r in r_vectors])
    return TightBindingModel(
        lattice=lattice,
        r_vectors=r_vectors,
        degeneracy=np.ones(len(r_vectors), dtype=np.int64),
        hamiltonian=ham,
        centres=centres,
        position=pos,
        spinor=spinor,
        source=source,
    )
