"""Wannier90 tight-binding files: ``seedname_tb.dat`` (read and write), ``seedname_hr.dat``,
``seedname_wsvec.dat`` and ``seedname_centres.xyz`` (read).

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
"R1 R2 R3 m n Re Im" in the same order. ``seedname_wsvec.dat`` (ws_write_vec):

    "## written on ... with use_ws_distance=.true." (or .false.)
    for each (R, m, n):  "R1 R2 R3 m n", then the number N of replicas, then N lines "T1 T2 T3"

(the lattice shifts of :mod:`aiida_orbmag.physics.mdrs`). The readers of ``_tb.dat`` and ``_hr.dat`` apply the shifts
found beside the file by default, as wannier90.x and postw90.x interpolate with them. Parsing is vectorised.
"""

from __future__ import annotations

import gzip
import logging
import pathlib
import re

import numpy as np

from aiida_orbmag.physics.mdrs import ReplicaShifts, apply_mdrs
from aiida_orbmag.physics.model import TightBindingModel

LOGGER = logging.getLogger(__name__)
#: ``wsvec`` argument of the readers: find ``seedname_wsvec.dat`` beside the model file and apply it when present.
AUTO = "auto"


def _read_lines(path) -> tuple[pathlib.Path, list[str]]:
    """The lines of a Wannier90 text file, gzip-compressed when its name ends in ``.gz``."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file; give the path of a Wannier90 output file.")
    if path.suffix != ".gz":
        return path, path.read_text(errors="replace").splitlines()
    try:
        with gzip.open(path, "rt", errors="replace") as stream:
            return path, stream.read().splitlines()
    except (OSError, EOFError) as error:
        raise ValueError(f"{path}: not a readable gzip file ({error}); decompress it or give the plain file.") from None


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


def read_tb_dat(path, wsvec=AUTO) -> TightBindingModel:
    """Read a Wannier90 ``seedname_tb.dat`` (H(R) in eV, r(R) in Å, lattice in Å) into a TightBindingModel.

    The Wannier centres are the real diagonal of r(R = 0).

    :param wsvec: the MDRS shifts to apply (:func:`aiida_orbmag.physics.mdrs.apply_mdrs`): ``"auto"`` (default)
        uses ``seedname_wsvec.dat`` beside the file when it exists (as wannier90 does), a path uses that file (it
        must exist), None gives the plain Wigner-Seitz model.
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
    model = TightBindingModel(
        lattice=lattice,
        r_vectors=r_vectors,
        degeneracy=degeneracy,
        hamiltonian=hamiltonian,
        centres=centres,
        position=position,
        source=path.name,
    )
    return _with_shifts(model, path, "_tb.dat", wsvec)


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


def read_hr_dat(path, centres, lattice, wsvec=AUTO) -> TightBindingModel:
    """Read a Wannier90 ``seedname_hr.dat`` (eV) with the Wannier ``centres`` (num_wann, 3) and ``lattice`` (3, 3)
    in Å. The result has no position matrix: only the diagonal-position (tight-binding) approximation applies.
    ``wsvec`` as in :func:`read_tb_dat`."""
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
    model = TightBindingModel(
        lattice=lattice,
        r_vectors=r_vectors,
        degeneracy=degeneracy,
        hamiltonian=ham[..., 0] + 1j * ham[..., 1],
        centres=centres,
        position=None,
        source=path.name,
    )
    return _with_shifts(model, path, "_hr.dat", wsvec)


def _with_shifts(model: TightBindingModel, path: pathlib.Path, suffix: str, wsvec) -> TightBindingModel:
    """``model`` with the MDRS shifts that ``wsvec`` designates (see :func:`read_tb_dat`) applied."""
    if wsvec is None or wsvec is False:
        return model
    if isinstance(wsvec, str) and wsvec == AUTO:
        compressed = ".gz" if path.name.endswith(suffix + ".gz") else ""
        if not path.name.endswith(suffix + compressed):
            LOGGER.warning("%s: cannot name its seedname_wsvec.dat (no %s suffix); MDRS not applied.", path, suffix)
            return model
        candidate = path.with_name(path.name[: -len(suffix + compressed)] + "_wsvec.dat" + compressed)
        if not candidate.exists():
            LOGGER.warning(
                "%s: no %s beside it, so wannier90's MDRS shifts are not applied; if wannier90 ran with "
                "use_ws_distance = .true. (its default) the interpolation differs from wannier90's.",
                path,
                candidate.name,
            )
            return model
        wsvec = candidate
    return apply_mdrs(model, read_wsvec_dat(wsvec))


_WSVEC_HEADER = re.compile(r"use_ws_distance\s*=\s*\.(true|false)\.", re.IGNORECASE)


def read_wsvec_dat(path) -> ReplicaShifts:
    """Read a Wannier90 ``seedname_wsvec.dat``: for each (R, m, n) the lattice shifts T of its MDRS replicas.

    ValueError (naming the file and the line) for a header that does not say whether ``use_ws_distance`` was on, a
    malformed or truncated entry, a replica count below 1 or non-integer data.
    """
    path, lines = _read_lines(path)
    if not lines or not _WSVEC_HEADER.search(lines[0]):
        raise ValueError(
            f"{path}: the first line does not say 'use_ws_distance=.true.' or '.false.'; this is not a wannier90 3.x "
            "seedname_wsvec.dat."
        )
    use_ws_distance = _WSVEC_HEADER.search(lines[0]).group(1).lower() == "true"
    body = [line for line in lines[1:] if line.strip()]
    widths = np.fromiter((len(line.split()) for line in body), dtype=np.int64, count=len(body))
    try:
        tokens = np.array(" ".join(body).split(), dtype=np.int64)
    except ValueError:
        raise ValueError(f"{path}: a non-integer entry; the file is corrupted. Copy it again from the run.") from None
    starts = np.concatenate([[0], np.cumsum(widths)[:-1]])
    heads = _wsvec_entry_lines(widths, tokens, starts, path)
    head_tokens = tokens[starts[heads][:, None] + np.arange(5)]
    counts = tokens[starts[heads + 1]]
    shift_lines = np.flatnonzero(widths == 3)
    shifts = tokens[starts[shift_lines][:, None] + np.arange(3)]
    return ReplicaShifts(
        use_ws_distance=use_ws_distance,
        r_vectors=head_tokens[:, :3],
        rows=head_tokens[:, 3] - 1,
        columns=head_tokens[:, 4] - 1,
        counts=counts,
        shifts=shifts,
        source=path.name,
    )


def _wsvec_entry_lines(widths, tokens, starts, path) -> np.ndarray:
    """Indices of the entry lines "R1 R2 R3 m n", checking the layout: each followed by a count N >= 1 and N shift
    lines of three integers, up to the end of the file."""
    heads = np.flatnonzero(widths == 5)
    bad = np.flatnonzero(~np.isin(widths, (1, 3, 5)))
    if len(bad):
        raise ValueError(
            f"{path}: line {bad[0] + 2} holds {widths[bad[0]]} numbers; entry lines hold 5 (R, m, n), count lines 1, "
            "shift lines 3. The file is corrupted."
        )
    if len(heads) == 0 or heads[0] != 0:
        raise ValueError(f"{path}: no entry line 'R1 R2 R3 m n' after the header; the file is empty or corrupted.")
    if heads[-1] + 1 >= len(widths) or np.any(widths[np.minimum(heads + 1, len(widths) - 1)] != 1):
        raise ValueError(f"{path}: an entry line is not followed by its replica count; the file is truncated.")
    counts = tokens[starts[heads + 1]]
    if np.any(counts < 1):
        raise ValueError(f"{path}: a replica count below 1 (entry {np.argmax(counts < 1) + 1}); the file is corrupted.")
    following = np.append(heads[1:], len(widths)) - heads - 2  # lines between one entry's count and the next entry
    if np.any(following != counts):
        entry = int(np.argmax(following != counts))
        raise ValueError(
            f"{path}: entry {entry + 1} (line {heads[entry] + 2}) announces {counts[entry]} shifts but "
            f"{following[entry]} follow; the file is truncated or corrupted."
        )
    return heads


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
