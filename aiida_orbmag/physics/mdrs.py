"""Wannier90's minimal-distance replica selection (MDRS) applied to a tight-binding model.

wannier90 3.x (``use_ws_distance = .true.``, its default) does not Fourier-interpolate the matrix O_mn(R) written to
``seedname_tb.dat`` at R itself. For each (R, m, n) it finds the lattice vectors T that make the distance from the
centre of Wannier function m (home cell) to the centre of n (cell R + T) minimal, and shares the element equally among
those N_mn(R) replicas (Pizzi et al., J. Phys.: Condens. Matter 32, 165902 (2020), Sec. 4.2):

    O_mn(k) = sum_R  O_mn(R) / ndegen(R)  (1 / N_mn(R))  sum_{j=1..N_mn(R)}  exp(i k.(R + T_j))

and it does so for every R-matrix it interpolates: H(R), and the position matrix r(R) in postw90. Ignoring the shifts
gives a different model, whose bands differ from wannier90's own by meV and which can break the crystal's symmetry.

:func:`apply_mdrs` rewrites a model onto the set of lattice vectors R' = R + T with the weights folded in, so that
``hamiltonian[R'] / degeneracy[R'] = sum over (R, j) with R + T_j = R' of O(R) / (ndegen(R) N(R))`` with all
degeneracies 1: every consumer (direct sums, FFT grids, derivatives, the position matrix) then sees wannier90's
interpolation with no change of its own.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .model import TightBindingModel


@dataclasses.dataclass(frozen=True, eq=False)
class ReplicaShifts:
    """The content of ``seedname_wsvec.dat``: for each listed (R, m, n), the shifts T of its replicas.

    :param use_ws_distance: what the file's header says wannier90 used; False: every element has the single shift 0.
    :param r_vectors: (N, 3) integer R of each entry.
    :param rows, columns: (N,) zero-based orbital indices m, n of each entry (the element O_mn(R) = <0 m|O|R n>).
    :param counts: (N,) number of replicas N_mn(R) >= 1.
    :param shifts: (sum(counts), 3) integer T of all entries, in entry order.
    :param source: file name, for messages.
    """

    use_ws_distance: bool
    r_vectors: np.ndarray
    rows: np.ndarray
    columns: np.ndarray
    counts: np.ndarray
    shifts: np.ndarray
    source: str = ""

    @property
    def num_entries(self) -> int:
        return len(self.counts)


def apply_mdrs(model: TightBindingModel, replicas: ReplicaShifts) -> TightBindingModel:
    """The model with wannier90's MDRS shifts folded in (see the module docstring): same physics as wannier90.x's
    band interpolation and postw90's, R set extended to every R + T, all degeneracies 1, ``mdrs`` True.

    ValueError when the shifts do not belong to the model: an (R, m, n) that the model lacks, one listed twice or not
    at all, or orbital indices beyond num_wann. A file written with ``use_ws_distance = .false.`` holds only zero
    shifts; the model is then returned with the Wigner-Seitz weights as they are and ``mdrs`` False.
    """
    if model.mdrs:
        raise ValueError(
            f"The model {model.source!r} already has the MDRS shifts applied; apply a seedname_wsvec.dat only to the "
            "model read from the matching seedname_tb.dat."
        )
    index = _entry_index(model, replicas)
    if not replicas.use_ws_distance:
        if np.any(replicas.shifts != 0) or np.any(replicas.counts != 1):
            raise ValueError(
                f"{replicas.source}: the header says use_ws_distance = .false. but the file lists non-zero shifts; "
                "the file is corrupted. Copy seedname_wsvec.dat again from the wannier90 run."
            )
        return model
    nw = model.num_wann
    entry = np.repeat(index, replicas.counts)  # (replica,) flat index r*nw*nw + m*nw + n of the source element
    source_r = entry // (nw * nw)
    target = model.r_vectors[source_r] + replicas.shifts  # (replica, 3)
    new_r, target_r = np.unique(target, axis=0, return_inverse=True)
    target_r = target_r.reshape(-1)
    weight = 1.0 / (model.degeneracy[source_r] * np.repeat(replicas.counts, replicas.counts))
    target_flat = target_r * (nw * nw) + entry % (nw * nw)
    size = len(new_r) * nw * nw

    def fold(values: np.ndarray) -> np.ndarray:  # values (nR * nw * nw,) complex -> (new nR * nw * nw,)
        taken = values[entry] * weight
        return np.bincount(target_flat, taken.real, minlength=size) + 1j * np.bincount(
            target_flat, taken.imag, minlength=size
        )

    hamiltonian = fold(model.hamiltonian.reshape(-1)).reshape(len(new_r), nw, nw)
    position = None
    if model.position is not None:
        flat = model.position.reshape(-1, 3)
        position = np.stack([fold(np.ascontiguousarray(flat[:, a])) for a in range(3)], axis=-1)
        position = position.reshape(len(new_r), nw, nw, 3)
    return model.replace(
        r_vectors=new_r,
        degeneracy=np.ones(len(new_r), dtype=np.int64),
        hamiltonian=hamiltonian,
        position=position,
        mdrs=True,
    )


def _entry_index(model: TightBindingModel, replicas: ReplicaShifts) -> np.ndarray:
    """(N,) flat index r*nw*nw + m*nw + n of each entry in the model's arrays, checking that the entries cover
    every element of the model exactly once."""
    nw, where = model.num_wann, replicas.source
    if replicas.num_entries and (
        min(replicas.rows.min(), replicas.columns.min()) < 0 or max(replicas.rows.max(), replicas.columns.max()) >= nw
    ):
        raise ValueError(
            f"{where}: orbital indices run beyond 1..num_wann = {nw} of the model; the file belongs to another "
            "wannier90 run. Use the seedname_wsvec.dat written together with the seedname_tb.dat."
        )
    r_index = model.r_index
    positions = np.array([r_index.get(tuple(int(x) for x in r), -1) for r in replicas.r_vectors], dtype=np.int64)
    if np.any(positions < 0):
        missing = replicas.r_vectors[np.argmax(positions < 0)].tolist()
        raise ValueError(
            f"{where}: the shifts list R = {missing}, which the model does not have; the file belongs to another "
            "wannier90 run. Use the seedname_wsvec.dat written together with the seedname_tb.dat."
        )
    flat = positions * (nw * nw) + replicas.rows * nw + replicas.columns
    covered = np.bincount(flat, minlength=model.num_r * nw * nw)
    if np.any(covered != 1):
        twice = int(np.sum(covered > 1))
        absent = int(np.sum(covered == 0))
        raise ValueError(
            f"{where}: the shifts cover the model's {model.num_r} x {nw} x {nw} elements with {absent} missing and "
            f"{twice} listed more than once; the file is truncated or belongs to another run."
        )
    return flat
