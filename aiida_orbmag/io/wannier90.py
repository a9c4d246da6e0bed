"""Wannier90 tight-binding files: ``seedname_tb.dat`` (read and write), ``seedname_hr.dat`` and
``seedname_centres.xyz`` (read).

``seedname_tb.dat`` as wannier90.x 3.x writes it (hamiltonian_write_tb):

    header line (date)
    a1 (Å), a2, a3                    three lines, list-directed
    num_wann
    nrpts
    ndegen(1..nrpts)                  15 per line
    for each R:  blank line, "R1 R2 R3", then num_wann² lines "m n Re(H) Im(H)"
    for each R:  blank line, "R1 R2 R3", then num_wann² lines "m n Re(x) Im(x) Re(y) Im(y) Re(z) Im(z)"

with the row index m running fastest, H_mn(R) = <0 m|H|R n> (eV) and r_mn(R) = <0 m|r|R n> (Å), *not* divided
by ndegen(R). ``seedname_hr.dat``: header, num_wann, nrpts, ndegen (15 per line), then lines
"R1 R2 R3 m n Re Im" in the same order. Parsing is vectorised over the whole file.
"""

from __future__ import annotations

import pathlib

import numpy as np

from aiida_orbmag.physics.model import TightBindingModel


def _read_lines(path) -> tuple[pathlib.Path, list[str]]:
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file; give the path of a Wannier90 output file.")
    return path, path.read_text(errors="replace").splitlines()


def _numbers(text: str, expected: int, what: str, path) -> np.ndarray:
    """All whitespace-separated numbers of ``text`` as floats, exactly ``expected`` of them."""
    tokens = text.split()
    if len(tokens) < expected:
        raise ValueError(
            f"{path}: the {what} holds {len(tokens)} numbers where {expected} are expected; the file is truncated "
            "or num_wann / nrpts in its header are wrong. Re-run wannier90.x or copy the file again."
        )
    if len(tokens) > expected:
        raise ValueError(
            f"{path}: the {what} holds {len(tokens)} numbers where {expected} are expected; num_wann / nrpts in "
            "its header do not match the data."
        )
    try:
        values = np.array(tokens, dtype=float)
    except ValueError:
        bad = next(t for t in tokens if not _is_number(t))
        raise ValueError(f"{path}: non-numeric entry {bad!r} in the {what}; the file is corrupted.") from None
    if not np.all(np.isfinite(values)):
        raise ValueError(
            f"{path}: the {what} contains NaN or infinite values; the Wannierisation failed or the file is corrupted."
        )
    return values


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _header_integer(lines, index, name, path) -> int:
    try:
        value = int(lines[index].split()[0])
    except (IndexError, ValueError):
        raise ValueError(
            f"{path}: line {index + 1} should hold {name} (an integer); is this a Wannier90 file?"
        ) from None
    if value < 1:
        raise ValueError(f"{path}: {name} = {value} on line {index + 1} must be positive.")
    return value


def _degeneracies(lines, start, nrpts, path) -> tuple[np.ndarray, int]:
    """The ndegen block (15 per line) starting at line ``start``; returns the weights and the next line index."""
    n_lines = -(-nrpts // 15)
    values = _numbers(" ".join(lines[start : start + n_lines]), nrpts, "list of Wigner-Seitz degeneracies", path)
    if np.any(values < 1) or np.any(values != np.round(values)):
        raise ValueError(f"{path}: the Wigner-Seitz degeneracies must be positive integers.")
    return values.astype(np.int64), start + n_lines


def _blocks(values, nrpts, num_wann, per_element, what, path):
    """Split a flat array of ``nrpts`` blocks [R1 R2 R3, num_wann² x (m, n, data...)] into R and data."""
    width = 2 + per_element
    blocks = values.reshape(nrpts, 3 + num_wann**2 * width)
    r_vectors = blocks[:, :3]
    rows = blocks[:, 3:].reshape(nrpts, num_wann**2, width)
    m, n = rows[..., 0].astype(np.int64), rows[..., 1].astype(np.int64)
    expected_m = np.tile(np.arange(1, num_wann + 1), num_wann)
    expected_n = np.repeat(np.arange(1, num_wann + 1), num_wann)
    if not (np.all(m == expected_m) and np.all(n == expected_n)):
        raise ValueError(
            f"{path}: the orbital indices of the {what} do not run over 1..num_wann = {num_wann} in Wannier90's "
            "order; num_wann in the header does not match the data."
        )
    if np.any(r_vectors != np.round(r_vectors)):
        raise ValueError(f"{path}: the R vectors of the {what} are not integers; the file is corrupted.")
    # data[r, m, n] with m fastest in the file: reshape (n, m) then transpose
    data = rows[..., 2:].reshape(nrpts, num_wann, num_wann, per_element).transpose(0, 2, 1, 3)
    return r_vectors.astype(np.int64), data


def read_tb_dat(path) -> TightBindingModel:
    """Read a Wannier90 ``seedname_tb.dat`` (H(R) in eV, r(R) in Å, lattice in Å) into a TightBindingModel.

    The Wannier centres are the real diagonal of r(R = 0).
    """
    path, lines = _read_lines(path)
    if len(lines) < 7:
        raise ValueError(f"{path}: too short to be a Wannier90 seedname_tb.dat ({len(lines)} lines).")
    lattice = _numbers(" ".join(lines[1:4]), 9, "lattice vectors", path).reshape(3, 3)
    num_wann = _header_integer(lines, 4, "num_wann", path)
    nrpts = _header_integer(lines, 5, "nrpts", path)
    degeneracy, start = _degeneracies(lines, 6, nrpts, path)
    ham_size = nrpts * (3 + 4 * num_wann**2)
    pos_size = nrpts * (3 + 8 * num_wann**2)
    values = _numbers("\n".join(lines[start:]), ham_size + pos_size, "Hamiltonian and position blocks", path)
    r_vectors, ham = _blocks(values[:ham_size], nrpts, num_wann, 2, "Hamiltonian block", path)
    r_position, pos = _blocks(values[ham_size:], nrpts, num_wann, 6, "position block", path)
    if not np.array_equal(r_vectors, r_position):
        raise ValueError(f"{path}: the R vectors of the Hamiltonian and position blocks differ; the file is corrupted.")
    hamiltonian = ham[..., 0] + 1j * ham[..., 1]
    position = pos[..., 0::2] + 1j * pos[..., 1::2]
    zero = np.flatnonzero(np.all(r_vectors == 0, axis=1))
    if len(zero) != 1:
        raise ValueError(f"{path}: R = (0, 0, 0) is missing; the file is not a complete Wannier90 model.")
    centres = np.real(position[zero[0], np.arange(num_wann), np.arange(num_wann)])
    return TightBindingModel(
        lattice=lattice,
        r_vectors=r_vectors,
        degeneracy=degeneracy,
        hamiltonian=hamiltonian,
        centres=centres,
        position=position,
        source=path.name,
    )


def write_tb_dat(model: TightBindingModel, path, header: str = "written by aiida-orbmag") -> None:
    """Write ``model`` as a Wannier90 ``seedname_tb.dat`` (round trip exact to ~1e-13 relative)."""
    if model.position is None:
        raise ValueError(
            "seedname_tb.dat holds the position matrix, which this model lacks; build the model with a position "
            "matrix (model_from_hoppings makes the diagonal one from the centres)."
        )
    nw = model.num_wann
    m_index = np.tile(np.arange(1, nw + 1), nw)
    n_index = np.repeat(np.arange(1, nw + 1), nw)
    out = [f" {header}"]
    out += ["  " + "  ".join(f"{x:.16e}" for x in vector) for vector in model.lattice]
    out += [f"{nw:12d}", f"{model.num_r:12d}"]
    degeneracy = model.degeneracy
    out += ["".join(f"{d:5d}" for d in degeneracy[i : i + 15]) for i in range(0, model.num_r, 15)]

    def block(data):  # data (r, m, n, k) complex -> lines
        lines = []
        for r, values in zip(model.r_vectors, data, strict=True):
            lines += ["", "".join(f"{x:5d}" for x in r)]
            flat = values.transpose(1, 0, 2).reshape(nw * nw, -1)  # m fastest
            parts = np.stack([flat.real, flat.imag], axis=-1).reshape(nw * nw, -1)
            lines += [
                f"{m:5d}{n:5d}   " + " ".join(f"{x: .15e}" for x in row)
                for m, n, row in zip(m_index, n_index, parts, strict=True)
            ]
        return lines

    out += block(model.hamiltonian[..., None])
    out += block(model.position)
    pathlib.Path(path).write_text("\n".join(out) + "\n")


def read_hr_dat(path, centres, lattice) -> TightBindingModel:
    """Read a Wannier90 ``seedname_hr.dat`` (eV) with the Wannier ``centres`` (num_wann, 3) and ``lattice`` (3, 3)
    in Å. The result has no position matrix: only the diagonal-position (tight-binding) approximation applies."""
    path, lines = _read_lines(path)
    if len(lines) < 4:
        raise ValueError(f"{path}: too short to be a Wannier90 seedname_hr.dat ({len(lines)} lines).")
    num_wann = _header_integer(lines, 1, "num_wann", path)
    nrpts = _header_integer(lines, 2, "nrpts", path)
    degeneracy, start = _degeneracies(lines, 3, nrpts, path)
    values = _numbers("\n".join(lines[start:]), nrpts * num_wann**2 * 7, "Hamiltonian lines", path)
    rows = values.reshape(nrpts, num_wann**2, 7)
    # reuse the tb.dat layout: one R per block, taken from the first line of each block
    if np.any(rows[:, :, :3] != rows[:, :1, :3]):
        raise ValueError(f"{path}: the R vector changes inside a block of num_wann² lines; num_wann is wrong.")
    flat = np.concatenate([rows[:, 0, :3], rows[:, :, 3:].reshape(nrpts, -1)], axis=1).reshape(-1)
    r_vectors, ham = _blocks(flat, nrpts, num_wann, 2, "Hamiltonian", path)
    centres = np.asarray(centres, dtype=float)
    if centres.shape != (num_wann, 3):
        raise ValueError(
            f"{path}: {num_wann} Wannier functions need centres of shape ({num_wann}, 3), got {centres.shape}."
        )
    return TightBindingModel(
        lattice=lattice,
        r_vectors=r_vectors,
        degeneracy=degeneracy,
        hamiltonian=ham[..., 0] + 1j * ham[..., 1],
        centres=centres,
        position=None,
        source=path.name,
    )


def read_centres_xyz(path) -> np.ndarray:
    """The Wannier centres (num_wann, 3) in Å from ``seedname_centres.xyz`` (lines starting with ``X``)."""
    path, lines = _read_lines(path)
    rows = [line.split()[1:4] for line in lines[2:] if line.split() and line.split()[0] == "X"]
    if not rows:
        raise ValueError(f"{path}: no Wannier centres (lines starting with 'X') found.")
    if any(len(row) != 3 for row in rows):
        raise ValueError(f"{path}: a Wannier-centre line does not hold three numbers.")
    try:
        return np.array(rows, dtype=float)
    except ValueError:
        raise ValueError(f"{path}: a Wannier-centre line holds a non-numeric entry.") from None
