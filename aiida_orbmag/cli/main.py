"""The ``aiida-orbmag`` command: susceptibilities from a Wannier90 ``seedname_tb.dat`` without any AiiDA profile.

Every failure the user can cause (a missing, truncated or inconsistent file, a non-Hermitian Hamiltonian, NaN, a
3D model, a bad option) ends with one readable ``Error: ...`` line and exit status 1 (2 for option syntax).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pathlib
import sys

import click
import numpy as np

from aiida_orbmag import __version__
from aiida_orbmag.cli.codes import codes
from aiida_orbmag.cli.launch import launch, screen
from aiida_orbmag.cli.plot import plot
from aiida_orbmag.cli.pseudos import pseudos
from aiida_orbmag.cli.query import provenance, results
from aiida_orbmag.cli.structures import structures
from aiida_orbmag.io.results import DOCUMENT_KEYS, susceptibility_document
from aiida_orbmag.physics.conventions import BLOCH_CONVENTIONS, DEFAULT_CONVENTIONS, METRIC_FORMS
from aiida_orbmag.physics.kgrid import DEFAULT_MAX_KPOINTS, MAX_CHEMICAL_POTENTIALS, check_kmesh

#: Keys of the --json output that other tools read; keep them stable (``checks``: the summary of
#: :func:`aiida_orbmag.physics.checks.summary`, as in the calcfunction's ``summary`` node).
JSON_KEYS = DOCUMENT_KEYS
#: The first bytes of every HDF5 file: TB_FILE is then an aiida-orbmag model file (a TightBindingData's model.h5).
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


class _OneLineErrors(click.Group):
    """Turn library errors into one line on stderr and a non-zero exit, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (ValueError, OSError, KeyError) as error:
            message = " ".join(str(error).split()) or type(error).__name__
            raise click.ClickException(message) from None


@click.group(cls=_OneLineErrors)
@click.version_option(__version__, prog_name="aiida-orbmag")
@click.option("-v", "--verbose", is_flag=True, help="Log warnings and progress of the physics core to stderr.")
def cli(verbose):
    """Orbital magnetoelectric (chi) and magnetothermal (alpha) susceptibilities of 2D magnets."""
    logging.basicConfig(level=logging.INFO if verbose else logging.ERROR, format="%(levelname)s: %(message)s")


def _chemical_potentials(mu, mu_range, mu_file=None):
    if sum(bool(given) for given in (mu, mu_range, mu_file)) != 1:
        raise click.UsageError(
            "Give the chemical potentials either as --mu EV (repeatable), as --mu-range or as --mu-file."
        )
    if mu_file:
        return _mu_file_values(mu_file)
    if mu_range:
        start, stop, num = mu_range
        if not 1 <= num <= MAX_CHEMICAL_POTENTIALS:
            raise click.BadParameter(
                f"NUM must be an integer from 1 to {MAX_CHEMICAL_POTENTIALS}.", param_hint="--mu-range"
            )
        return np.linspace(start, stop, num)
    return np.array(mu, dtype=float)


def _mu_file_values(path: pathlib.Path) -> np.ndarray:
    """The chemical potentials (eV) of a --mu-file: numbers separated by white space."""
    _check_readable(path, "a text file of chemical potentials (eV)")
    try:
        values = np.array(path.read_text().split(), dtype=float)
    except (ValueError, UnicodeDecodeError):
        raise click.ClickException(f"--mu-file {path} must hold numbers (eV) separated by white space.") from None
    if not 1 <= values.size <= MAX_CHEMICAL_POTENTIALS or not np.all(np.isfinite(values)):
        raise click.ClickException(
            f"--mu-file {path} must hold from 1 to {MAX_CHEMICAL_POTENTIALS} finite numbers, got {values.size}."
        )
    return values


@cli.command()
@click.argument("tb_file", type=click.Path(path_type=pathlib.Path))
@click.option("--mu", type=float, multiple=True, metavar="EV", help="Chemical potential (eV, model's energy scale).")
@click.option(
    "--mu-range", type=(float, float, int), default=None, metavar="START STOP NUM", help="NUM evenly spaced mu (eV)."
)
@click.option(
    "--mu-file", type=click.Path(path_type=pathlib.Path), default=None, metavar="FILE",
    help="Chemical potentials (eV) from a text file, separated by white space (for long lists).",
)  # fmt: skip
@click.option(
    "--temperature", type=float, multiple=True, required=True, metavar="K", help="Temperature (K); repeatable."
)
@click.option("--kmesh", type=(int, int), required=True, metavar="N1 N2", help="Uniform k-grid of the 2D zone.")
@click.option(
    "--degeneracy-tol", type=float, default=DEFAULT_CONVENTIONS.degeneracy_tol, show_default=True, metavar="EV",
    help="Degenerate-cluster tolerance.",
)  # fmt: skip
@click.option(
    "--tb-approximation",
    is_flag=True,
    help="Diagonal position matrix (tight-binding approximation) instead of the full Wannier position matrix.",
)
@click.option(
    "--bloch-convention", type=click.Choice(BLOCH_CONVENTIONS), default=DEFAULT_CONVENTIONS.bloch_convention,
    show_default=True, help="Bloch phase convention (I: Wannier centres in the phases; II: lattice vectors only).",
)  # fmt: skip
@click.option(
    "--metric-form", type=click.Choice(METRIC_FORMS), default=DEFAULT_CONVENTIONS.metric_form, show_default=True,
    help="Metric term of Lambda: analytic per k, or on the Fermi surface (needs T > 0).",
)  # fmt: skip
@click.option(
    "--max-out-of-plane-hopping", type=float, default=DEFAULT_CONVENTIONS.max_out_of_plane_hopping,
    show_default=True, metavar="EV", help="Largest hopping along a3 accepted for a 2D model.",
)  # fmt: skip
@click.option("--relaxation-time", type=float, default=None, metavar="FS", help="Also the extrinsic part for tau (fs).")
@click.option(
    "--lambda-map-mu", type=float, default=None, metavar="EV",
    help="Also Lambda(k) on the k-mesh at this chemical potential (eV, as --mu), written to the --json file.",
)  # fmt: skip
@click.option(
    "--lambda-map-temperature", type=float, default=0.0, show_default=True, metavar="K",
    help="Temperature of the Lambda(k) map.",
)  # fmt: skip
@click.option(
    "--kmesh-error",
    is_flag=True,
    help="Also estimate the k-mesh error of chi and alpha (spread of shifted grids of half the mesh; same units).",
)
@click.option(
    "--processes", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
    help="Worker processes sharing the k-grid (keep N x BLAS threads at or below the number of cores).",
)  # fmt: skip
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar on stderr [default: when stderr is a terminal]."
)
@click.option(
    "--wsvec", type=click.Path(path_type=pathlib.Path), default=None, metavar="FILE",
    help="wannier90's MDRS shifts (seedname_wsvec.dat) [default: the one beside TB_FILE, if any].",
)  # fmt: skip
@click.option(
    "--no-mdrs", is_flag=True, help="Ignore seedname_wsvec.dat: plain Wigner-Seitz interpolation (not wannier90's)."
)
@click.option(
    "--max-kpoints", type=click.IntRange(min=1), default=DEFAULT_MAX_KPOINTS, show_default=True, metavar="N",
    help="Largest k-mesh (N1 x N2) accepted; a larger one is refused with its estimated cost.",
)  # fmt: skip
@click.option(
    "--symmetry", "symmetry_file", type=click.Path(path_type=pathlib.Path), default=None, metavar="FILE",
    help="JSON list of the magnetic point group's in-plane operations, {\"rotation\": [[r11, r12], [r21, r22]], "
    "\"time_reversal\": bool} each: checks the symmetry-forbidden part of chi.",
)  # fmt: skip
@click.option(
    "--fermi-energy", type=float, default=None, metavar="EV",
    help="The model's Fermi energy (eV): --mu and --mu-range are given relative to it, and so are the output's mu.",
)  # fmt: skip
@click.option("--json", "json_file", type=click.Path(path_type=pathlib.Path), default=None, help="Write results.")
def compute(tb_file, mu, mu_range, mu_file, temperature, kmesh, degeneracy_tol, tb_approximation, bloch_convention,
            metric_form, max_out_of_plane_hopping, relaxation_time, lambda_map_mu, lambda_map_temperature, kmesh_error,
            processes, progress, wsvec, no_mdrs, max_kpoints, symmetry_file, fermi_energy, json_file):  # fmt: skip
    """Compute chi(mu, T) and alpha(mu, T) from a Wannier90 TB_FILE (seedname_tb.dat, or .gz), or from an
    aiida-orbmag HDF5 model file (a TightBindingData's model.h5).

    The model is interpolated as wannier90 does: the MDRS shifts of seedname_wsvec.dat beside TB_FILE (or --wsvec)
    are applied; the first line of output says whether they were (an HDF5 model holds them already). The checks
    (largest |chi|, Mott identity when T = 0 and a uniform mu grid are given, the symmetry-forbidden part with
    --symmetry) follow the table.
    """
    from aiida_orbmag.physics import checks
    from aiida_orbmag.physics.plan import Execution
    from aiida_orbmag.physics.response import compute_susceptibility, lambda_map

    mus = _chemical_potentials(mu, mu_range, mu_file)
    offset = 0.0 if fermi_energy is None else fermi_energy
    conventions = DEFAULT_CONVENTIONS.replace(
        degeneracy_tol=degeneracy_tol,
        position_operator="diagonal" if tb_approximation else "full",
        bloch_convention=bloch_convention,
        metric_form=metric_form,
        max_out_of_plane_hopping=max_out_of_plane_hopping,
    )
    operations = None if symmetry_file is None else _symmetry_operations(symmetry_file)
    if no_mdrs and wsvec is not None:
        raise click.UsageError("Give either --wsvec FILE or --no-mdrs, not both.")
    _check_readable(tb_file, "a Wannier90 seedname_tb.dat")
    check_kmesh(kmesh, max_kpoints)
    if json_file is not None:
        _check_writable(json_file)
    if wsvec is not None and not wsvec.is_file():
        raise click.ClickException(f"{wsvec}: no such file; give the seedname_wsvec.dat of the same wannier90 run.")
    model = _read_model(tb_file, wsvec, no_mdrs)
    show_progress = sys.stderr.isatty() if progress is None else progress
    with _progress_bar(show_progress, kmesh[0] * kmesh[1]) as callback:
        result = compute_susceptibility(
            model,
            mus + offset,
            list(temperature),
            tuple(kmesh),
            conventions=conventions,
            relaxation_time_fs=relaxation_time,
            kmesh_error=kmesh_error,
            execution=Execution(processes=processes, max_kpoints=max_kpoints),
            progress=callback,
        )
    summary = checks.summary(result, model, operations)
    lam = None
    if lambda_map_mu is not None:
        lam = lambda_map(
            model, lambda_map_mu + offset, lambda_map_temperature, kmesh=tuple(kmesh), conventions=conventions
        )
    if fermi_energy is not None:
        summary["largest_chi"]["mu_eV"] -= fermi_energy
        if "intrinsic_forbidden_at" in summary["symmetry"]:
            summary["symmetry"]["intrinsic_forbidden_at"]["mu_eV"] -= fermi_energy
    click.echo(_table(model, result, fermi_energy))
    click.echo(_checks_text(summary, fermi_energy))
    if json_file is not None:
        document = susceptibility_document(model, result, summary, fermi_energy, lam)
        json_file.write_text(json.dumps(document, indent=2))
        click.echo(f"Wrote {json_file}")


def _read_model(path: pathlib.Path, wsvec, no_mdrs: bool):
    """The model of TB_FILE: an aiida-orbmag HDF5 model file, or a Wannier90 seedname_tb.dat with its MDRS shifts."""
    from aiida_orbmag.io.hdf5 import load_model
    from aiida_orbmag.io.wannier90 import AUTO, read_tb_dat

    with path.open("rb") as stream:
        is_hdf5 = stream.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE
    if not is_hdf5:
        return read_tb_dat(path, wsvec=None if no_mdrs else (wsvec or AUTO))
    if wsvec is not None or no_mdrs:
        raise click.UsageError("--wsvec and --no-mdrs apply to a seedname_tb.dat, not to an HDF5 model file.")
    return load_model(path)


def _symmetry_operations(path: pathlib.Path) -> list:
    """The in-plane operations of a --symmetry JSON file (one readable error for a bad file)."""
    from aiida_orbmag.physics.symmetry import operations_from_dicts

    _check_readable(path, "a JSON list of symmetry operations")
    try:
        items = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise click.ClickException(f"--symmetry {path} is not valid JSON ({error}).") from None
    try:
        return operations_from_dicts(items)
    except ValueError as error:
        raise click.ClickException(f"--symmetry {path}: {' '.join(str(error).split())}.") from None


def _check_readable(path: pathlib.Path, what: str) -> None:
    """One clear error for a missing path, a directory, or something that is not a regular file (a FIFO)."""
    if not path.exists():
        raise click.ClickException(f"{path}: no such file; give the path of {what}.")
    if path.is_dir():
        raise click.ClickException(f"{path} is a directory; give the path of {what}.")
    if not path.is_file():
        raise click.ClickException(f"{path} is not a regular file (a pipe or device?); give the path of {what}.")


def _check_writable(path: pathlib.Path) -> None:
    """Fail before the computation, not after it, when the JSON file cannot be written."""
    if path.is_dir():
        raise click.ClickException(f"--json {path} is a directory; give a file name.")
    folder = path.parent if str(path.parent) else pathlib.Path(".")
    if not folder.is_dir() or not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise click.ClickException(f"--json {path} cannot be written (missing folder or no permission).")


@contextlib.contextmanager
def _progress_bar(enabled: bool, total_k: int):
    """Yield a progress(done_k, total_k) callback drawing a bar on stderr, or None."""
    if not enabled:
        yield None
        return
    with click.progressbar(length=total_k, label="k-points", file=sys.stderr, show_pos=True) as bar:

        def callback(done, total):
            bar.update(done - bar.pos)

        yield callback


def _table(model, result, fermi_energy: float | None = None) -> str:
    interpolation = "MDRS (wannier90's, seedname_wsvec.dat applied)" if model.mdrs else "plain Wigner-Seitz (no MDRS)"
    lines = [
        f"model: {model.source}  num_wann={model.num_wann}  R vectors={model.num_r}  interpolation: {interpolation}",
        f"k-mesh={result.kmesh[0]}x{result.kmesh[1]}  position operator={result.settings['position_operator']}",
        f"smallest spacing of neighbouring band clusters at one k-point: "
        f"{result.diagnostics['smallest_gap_between_clusters_eV']:.3e} eV",
    ]
    if fermi_energy is not None:
        lines.append(f"mu relative to the Fermi energy {fermi_energy:.4f} eV")
    header = f"{'T (K)':>8} {'mu (eV)' if fermi_energy is None else 'mu-E_F (eV)':>10} {'chi_x (nm/Ohm)':>15}"
    header += f" {'chi_y (nm/Ohm)':>15}"
    header += f" {'alpha_x (nA nm/K)':>18} {'alpha_y (nA nm/K)':>18}"
    extrinsic = result.chi_extrinsic is not None
    if extrinsic:
        header += f" {'chi_ext_x':>12} {'chi_ext_y':>12}"
    errors = result.chi_kmesh_error is not None
    if errors:
        lines.append(
            f"d...: estimated k-mesh error (spread of shifted {result.coarse_kmesh[0]}x{result.coarse_kmesh[1]} "
            "grids around the full mesh), same units"
        )
        header += f" {'dchi_x':>10} {'dchi_y':>10} {'dalpha_x':>10} {'dalpha_y':>10}"
    lines.append(header)
    for t_index, t in enumerate(result.temperature):
        for mu_index, mu in enumerate(result.mu - (fermi_energy or 0.0)):
            chi, alpha = result.chi_nm_per_ohm[t_index, mu_index], result.alpha_na_nm_per_k[t_index, mu_index]
            row = f"{t:8.2f} {mu:10.4f} {chi[0]:15.6e} {chi[1]:15.6e} {alpha[0]:18.6e} {alpha[1]:18.6e}"
            if extrinsic:
                ext = result.chi_extrinsic_nm_per_ohm[t_index, mu_index]
                row += f" {ext[0]:12.4e} {ext[1]:12.4e}"
            if errors:
                d_chi = result.chi_kmesh_error_nm_per_ohm[t_index, mu_index]
                d_alpha = result.alpha_kmesh_error_na_nm_per_k[t_index, mu_index]
                row += f" {d_chi[0]:10.2e} {d_chi[1]:10.2e} {d_alpha[0]:10.2e} {d_alpha[1]:10.2e}"
            lines.append(row)
    return "\n".join(lines)


def _checks_text(summary: dict, fermi_energy: float | None = None) -> str:
    """The checks of :func:`aiida_orbmag.physics.checks.summary` in three lines."""
    largest = summary["largest_chi"]
    where = "mu" if fermi_energy is None else "mu - E_F"
    lines = [
        f"largest |chi|: {largest['magnitude_nm_per_ohm']:.4e} nm/Ohm at {where} = {largest['mu_eV']:.4f} eV, "
        f"T = {largest['temperature_K']:.2f} K"
    ]
    mott = summary["mott_identity"]
    if mott["evaluated"]:
        lines.append(
            f"Mott identity (alpha against the T = 0 chi): relative residual {mott['relative_residual']:.2e} "
            f"(mu step {mott['eta_step_over_kT']:.2f} k_B T)"
        )
    else:
        lines.append(f"Mott identity: not evaluated ({mott['reason']})")
    report = summary["symmetry"]
    if not report["known"]:
        lines.append("symmetry: not checked (give the magnetic point group with --symmetry FILE)")
    else:
        allowed = "".join(axis for axis in "xy" if report["intrinsic_allowed"][axis]) or "none"
        verdict = "small" if report["intrinsic_forbidden_is_small"] else "NOT small: the model breaks the symmetry"
        lines.append(
            f"symmetry: allowed chi components: {allowed}; largest forbidden part "
            f"{report['intrinsic_largest_forbidden_nm_per_ohm']:.2e} nm/Ohm, "
            f"{report['intrinsic_forbidden_fraction']:.1e} of its uncancelled scale ({verdict})"
        )
    return "\n".join(lines)


cli.add_command(pseudos)
cli.add_command(codes)
cli.add_command(plot)
cli.add_command(launch)
cli.add_command(screen)
cli.add_command(structures)
cli.add_command(results)
cli.add_command(provenance)

if __name__ == "__main__":  # pragma: no cover
    cli()
