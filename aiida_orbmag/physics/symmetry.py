"""Which in-plane components of chi (and alpha) a magnetic point group allows.

Writing Delta M_z = chi_j E_j (Xiao et al., PRB 103, 045401 (2021), Eq. 7), an operation whose in-plane part is the
2x2 orthogonal matrix R2 constrains

- unitary g:              chi = det(R2) R2 chi             (intrinsic and extrinsic alike),
- antiunitary g T:        chi_int = -det(R2) R2 chi_int,    chi_ext = +det(R2) R2 chi_ext,

because M_z is a pseudovector (for an operation that keeps the z axis as a line, det(R3) (R3)_zz = det(R2)), E a
polar vector, and time reversal flips M_z and the intrinsic (tau-independent) response while the extrinsic response
(proportional to the relaxation time, odd under T) picks up a second sign. alpha transforms like chi.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True, eq=False)
class PointOperation:
    """An in-plane point operation: ``rotation`` (2, 2) Cartesian orthogonal matrix, and whether it is combined
    with time reversal."""

    rotation: np.ndarray
    antiunitary: bool = False
    name: str = ""

    def __post_init__(self):
        rotation = np.asarray(self.rotation, dtype=float)
        if rotation.shape != (2, 2) or not np.allclose(rotation @ rotation.T, np.eye(2), atol=1e-6):
            raise ValueError(f"An in-plane operation needs a 2x2 orthogonal matrix, got {self.rotation!r}.")
        object.__setattr__(self, "rotation", rotation)

    def __mul__(self, other: PointOperation) -> PointOperation:
        """Composition (self after other)."""
        return PointOperation(
            self.rotation @ other.rotation, self.antiunitary != other.antiunitary, f"{self.name}{other.name}"
        )

    def response_matrix(self, part: str) -> np.ndarray:
        """The 2x2 matrix M with chi = M chi required by this operation, for ``part`` intrinsic or extrinsic."""
        sign = -1.0 if (self.antiunitary and part == "intrinsic") else 1.0
        return sign * np.linalg.det(self.rotation) * self.rotation


def rotation_z(order: int, name: str | None = None) -> PointOperation:
    """C_n about z (counter-clockwise by 2 pi / n)."""
    angle = 2 * np.pi / order
    c, s = np.cos(angle), np.sin(angle)
    return PointOperation(np.array([[c, -s], [s, c]]), False, name or f"C{order}z")


IDENTITY = PointOperation(np.eye(2), False, "E")
C2Z, C3Z, C4Z, C6Z = (rotation_z(n) for n in (2, 3, 4, 6))
INVERSION = PointOperation(-np.eye(2), False, "P")  # in-plane part of P (and of C2z)
MIRROR_X = PointOperation(np.diag([-1.0, 1.0]), False, "Mx")  # x -> -x
MIRROR_Y = PointOperation(np.diag([1.0, -1.0]), False, "My")  # y -> -y
C2X = PointOperation(np.diag([1.0, -1.0]), False, "C2x")  # in-plane action of C2x equals that of My
C2Y = PointOperation(np.diag([-1.0, 1.0]), False, "C2y")
TIME_REVERSAL = PointOperation(np.eye(2), True, "T")


@dataclasses.dataclass(frozen=True)
class AllowedComponents:
    """Orthonormal bases (k, 2), k = 0..2, of the allowed chi subspaces, intrinsic and extrinsic."""

    intrinsic: np.ndarray
    extrinsic: np.ndarray

    def _basis(self, part: str) -> np.ndarray:
        if part not in ("intrinsic", "extrinsic"):
            raise ValueError(f"part must be 'intrinsic' or 'extrinsic', got {part!r}.")
        return self.intrinsic if part == "intrinsic" else self.extrinsic

    def allowed(self, part: str = "intrinsic") -> tuple[bool, bool]:
        """Whether chi_x and chi_y may be non-zero (diagonal of the projector onto the allowed subspace)."""
        basis = self._basis(part)
        diagonal = np.einsum("ka,ka->a", basis, basis)
        return bool(diagonal[0] > 1e-8), bool(diagonal[1] > 1e-8)

    def forbidden_part(self, chi, part: str = "intrinsic") -> np.ndarray:
        """The component of ``chi`` (..., 2) outside the allowed subspace, same shape: zero for a symmetric result."""
        basis = self._basis(part)
        chi = np.asarray(chi, dtype=float)
        return chi - (chi @ basis.T) @ basis

    def as_dict(self) -> dict:
        x_int, y_int = self.allowed("intrinsic")
        x_ext, y_ext = self.allowed("extrinsic")
        return {
            "intrinsic_allowed": {"x": x_int, "y": y_int},
            "extrinsic_allowed": {"x": x_ext, "y": y_ext},
            "intrinsic_basis": self.intrinsic.tolist(),
            "extrinsic_basis": self.extrinsic.tolist(),
        }


def _invariant_subspace(matrices: list[np.ndarray]) -> np.ndarray:
    """Orthonormal basis (k, 2) of {v : M v = v for every M}: null space of the stacked (M - 1)."""
    if not matrices:
        return np.eye(2)
    stacked = np.concatenate([m - np.eye(2) for m in matrices])
    _, singular, vh = np.linalg.svd(stacked)
    rank = int(np.sum(singular > 1e-8))
    return vh[rank:]


def allowed_response(operations) -> AllowedComponents:
    """Allowed chi components (intrinsic and extrinsic) under a set of :class:`PointOperation`."""
    operations = list(operations)
    return AllowedComponents(
        intrinsic=_invariant_subspace([op.response_matrix("intrinsic") for op in operations]),
        extrinsic=_invariant_subspace([op.response_matrix("extrinsic") for op in operations]),
    )


def operations_from_spglib(rotations, time_reversals, lattice) -> list[PointOperation]:
    """In-plane operations from spglib-style magnetic symmetry operations.

    :param rotations: (n, 3, 3) integer rotations acting on fractional coordinates of ``lattice``.
    :param time_reversals: (n,) flags, True where the operation is combined with time reversal.
    :param lattice: (3, 3) lattice vectors a1, a2, a3 as rows (Å), with the layer in the xy plane.
    :returns: the operations that map z to +-z (those of a 2D layer), with their in-plane 2x2 Cartesian block.
        Operations flipping z (C2x, C2y, M_z, ...) keep their in-plane block: for them det(R3) (R3)_zz = det(R2) as
        well, so the pseudovector M_z transforms with det(R2).
    """
    lattice = np.asarray(lattice, dtype=float)
    columns = lattice.T  # Cartesian r = columns @ fractional
    result = []
    for rotation, reversed_ in zip(np.asarray(rotations), np.asarray(time_reversals), strict=True):
        cartesian = columns @ rotation @ np.linalg.inv(columns)
        if not np.allclose(np.abs(cartesian[2, 2]), 1.0, atol=1e-6) or not np.allclose(cartesian[:2, 2], 0, atol=1e-6):
            continue  # mixes z with the plane: not an operation of a 2D layer in the xy plane
        result.append(PointOperation(cartesian[:2, :2], bool(reversed_), ""))
    return result


#: The keys of an operation's JSON form (:func:`operations_from_dicts`).
OPERATION_KEYS = ("rotation", "time_reversal")


def operation_as_dict(operation: PointOperation) -> dict:
    """The JSON form ``{"rotation": 2x2 (rounded to 1e-12), "time_reversal": bool}`` of an in-plane operation."""
    return {"rotation": np.round(operation.rotation, 12).tolist(), "time_reversal": operation.antiunitary}


def operations_from_dicts(items) -> list[PointOperation]:
    """In-plane operations from their JSON form: a list of ``{"rotation": [[r11, r12], [r21, r22]], "time_reversal":
    bool}`` (the in-plane Cartesian 2x2 block, orthogonal, and whether it is combined with time reversal; the
    ``symmetry_operations`` of the calcfunction's parameters and of the CLI's ``--symmetry`` file).

    ValueError (message without a final full stop, to go into a longer sentence) names the operation at fault.
    """
    if not isinstance(items, list | tuple):
        raise ValueError("symmetry_operations must be a list of operations")
    operations = []
    for index, item in enumerate(items):
        unknown = sorted(set(item) - set(OPERATION_KEYS)) if isinstance(item, dict) else []
        if unknown:
            raise ValueError(
                f"symmetry operation {index} has unknown keys {unknown}; it takes only {sorted(OPERATION_KEYS)}"
            )
        try:
            reversed_ = item.get("time_reversal", False)
            if not isinstance(reversed_, bool):
                raise ValueError("time_reversal must be true or false")
            operations.append(PointOperation(np.array(item["rotation"], dtype=float), reversed_))
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            raise ValueError(
                f"symmetry operation {index} must be {{'rotation': 2x2 orthogonal matrix, 'time_reversal': bool}} "
                f"({error})"
            ) from None
    return operations


def uncancelled_scale(lambda_values, num_kpoints: int, cell_area: float) -> np.ndarray:
    """What chi would be if no k-point's contribution cancelled another's, (e²/hbar) Å, (2,):

        S_i = (1 / N_k A_cell) sum_k |Lambda_i(k)|,      Lambda_i(k) = sum_n f0(e_n) Lambda_i^n(k) (Xiao et al. Eq. 8),

    from a k-resolved map on the uniform grid (``lambda_values`` (N_k, 2) in (e/hbar) Å³, ``cell_area`` in Å²). A
    symmetry-forbidden chi_i is zero because contributions at symmetry-related k-points cancel; |chi_i| / S_i measures
    how completely they cancel (round-off for an exactly symmetric model, order 1 for a model without the symmetry),
    independently of how large chi happens to be in this material.
    """
    values = np.asarray(lambda_values, dtype=float)
    if values.ndim != 2 or values.shape[1] != 2 or len(values) != num_kpoints:
        raise ValueError(f"Expected the map's (N_k, 2) values with N_k = {num_kpoints}, got shape {values.shape}.")
    if not cell_area > 0:
        raise ValueError(f"The cell area must be positive (Å²), got {cell_area}.")
    return np.abs(values).sum(axis=0) / (num_kpoints * cell_area)
