"""``aiida-orbmag plot``: figures of a result, from the JSON of ``aiida-orbmag compute --json`` or from a stored node
(a finished ``orbmag.susceptibility`` chain, or its chi / alpha node, by PK or UUID).

Examples::

    aiida-orbmag compute model_tb.dat --mu-range -1 1 401 --temperature 0 --temperature 10 --kmesh 96 96 \\
        --kmesh-error --json results.json
    aiida-orbmag plot chi results.json -T 10 -o chi.png
    aiida-orbmag plot chi 1234 -T 0 -o chi.png          # a chain's PK
    aiida-orbmag plot alpha results.json -o alpha.png
    aiida-orbmag plot alpha-t results.json --mu 0.48 -o alpha_t.png
    aiida-orbmag plot bands 1234 -o bands.png
    aiida-orbmag plot lambda model_tb.dat --mu 0.48 --fermi-energy -3.1 --kmesh 96 -o lambda.png
"""

from __future__ import annotations

import pathlib

import click

from aiida_orbmag.cli.common import PROFILE, load_node, load_profile
from aiida_orbmag.physics.conventions import DEFAULT_CONVENTIONS

OUTPUT = click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=pathlib.Path),
    help="PNG file to write.",
)
RESULTS = click.argument("results", metavar="PK_OR_JSON")
COMPONENT = click.option(
    "--component", type=click.Choice(["x", "y"]), default=None,
    help="Component to draw [default: the larger one in the result, which symmetry allows when one is forbidden].",
)  # fmt: skip


def _results(source: str, profile_name: str | None) -> dict:
    """The result dictionary of a JSON file, or of a node (PK or UUID) of the profile."""
    from aiida_orbmag import plots

    path = pathlib.Path(source)
    if path.is_file() or source.endswith(".json"):
        return plots.results_from_json(path)
    return _node_results(_node(source, profile_name))


def _node(source: str, profile_name: str | None):
    load_profile(profile_name)
    return load_node(source)


def _node_results(node) -> dict:
    from aiida_orbmag.tools.nodes import results_from_node

    return results_from_node(node)


def _component(data: dict, component: str | None) -> str:
    """``component``, or the one of larger largest |alpha| in ``data``."""
    if component is not None:
        return component
    import numpy as np

    largest = np.nanmax(np.abs(np.asarray(data["alpha_nA_nm_per_K"], dtype=float)), axis=(0, 1))
    return "xy"[int(np.argmax(largest))]


def _echo_written(path, component: str, chosen_here: bool) -> None:
    note = f" (component {component}: the larger in the result; --component to choose)" if chosen_here else ""
    click.echo(f"Wrote {path}{note}")


@click.group()
def plot():
    """Figures (PNG) of chi(mu), alpha(mu), alpha(T), Wannier against DFT bands, and Lambda(k) maps, from the JSON of
    `aiida-orbmag compute` or from a stored chain or node (PK or UUID)."""


@plot.command("chi")
@RESULTS
@click.option("-T", "--temperature", type=float, default=0.0, show_default=True, help="Temperature (K) to draw.")
@OUTPUT
@PROFILE
def plot_chi_command(results, temperature, output, profile_name):
    """chi_x and chi_y (nm/Ohm) against mu, with the k-mesh error as a band when the result has one.

    Example: aiida-orbmag plot chi results.json -T 10 -o chi.png (or a chain's PK instead of the file)
    """
    from aiida_orbmag import plots

    data = _results(results, profile_name)
    click.echo(f"Wrote {plots.save(plots.plot_chi(data, temperature), output)}")


@plot.command("alpha")
@RESULTS
@COMPONENT
@OUTPUT
@PROFILE
def plot_alpha_command(results, component, output, profile_name):
    """alpha (nA nm/K) against mu, one line per temperature above 0 K.

    Example: aiida-orbmag plot alpha results.json -o alpha.png (or a chain's PK instead of the file)
    """
    from aiida_orbmag import plots

    data = _results(results, profile_name)
    chosen = _component(data, component)
    _echo_written(plots.save(plots.plot_alpha(data, component=chosen), output), chosen, component is None)


@plot.command("alpha-t")
@RESULTS
@click.option("--mu", type=float, required=True, help="Chemical potential (eV, as in the result); nearest grid point.")
@click.option(
    "--slope-from", type=(click.FloatRange(min=0.0), click.FloatRange(min=0.0, min_open=True)), default=None,
    metavar="K EV",
    help="Take dchi/dmu of the Sommerfeld line from a straight line fitted to chi at this temperature over mu within "
    "this half width (for results without T = 0, or a grid whose T = 0 chi is a staircase).",
)  # fmt: skip
@COMPONENT
@OUTPUT
@PROFILE
def plot_alpha_temperature_command(results, mu, slope_from, component, output, profile_name):
    """alpha (nA nm/K) against T at one mu, with k-mesh error bars when the result has them and the Mott/Sommerfeld
    line when the result has T = 0 (or with --slope-from).

    Example: aiida-orbmag plot alpha-t results.json --mu 0.48 -o alpha_t.png (or a chain's PK)
    """
    from aiida_orbmag import plots

    data = _results(results, profile_name)
    chosen = _component(data, component)
    figure = plots.plot_alpha_temperature(data, mu, component=chosen, slope_from=slope_from)
    _echo_written(plots.save(figure, output), chosen, component is None)


@plot.command("bands")
@click.argument("identifier", metavar="PK")
@click.option(
    "--window", type=(float, float), default=(-3.0, 3.0), show_default=True, metavar="EMIN EMAX",
    help="Energy range drawn (eV, relative to E_F).",
)  # fmt: skip
@click.option("--density", type=float, default=60.0, show_default=True, help="Wannier k-points per 1/Å of path.")
@OUTPUT
@PROFILE
def plot_bands_command(identifier, window, density, output, profile_name):
    """Wannier bands (lines) against the DFT bands (dots) along the 2D high-symmetry path (G-M-K-G for hexagonal
    layers), energies relative to E_F. PK: a susceptibility chain (its model and the DFT bands of its NSCF grid and
    off-grid check that lie on the path), or a tight-binding model (Wannier bands only).

    Example: aiida-orbmag plot bands 1234 -o bands.png
    """
    import numpy as np

    from aiida_orbmag import plots
    from aiida_orbmag.physics.band_path import explicit_path, high_symmetry_path_2d
    from aiida_orbmag.physics.bands import band_energies
    from aiida_orbmag.tools.nodes import dft_bands_of_node, model_of_node, points_on_path

    node = _node(identifier, profile_name)
    tight_binding = model_of_node(node)
    model = tight_binding.get_model()
    reciprocal = model.reciprocal_lattice_2d
    path = high_symmetry_path_2d(np.array(tight_binding.lattice))
    fractional, distance, ticks, labels = explicit_path(path, reciprocal, density)
    wannier = band_energies(model, np.column_stack([fractional, np.zeros(len(fractional))]))
    dft = []
    for bands, name in zip(dft_bands_of_node(node), ("DFT (NSCF grid)", "DFT (off grid)"), strict=False):
        on_path = points_on_path(bands.get_kpoints(), path, reciprocal)
        if on_path:
            energies = np.asarray(bands.get_bands())
            energies = np.sort(np.concatenate(list(energies), axis=1), axis=1) if energies.ndim == 3 else energies
            dft.append((name, [x for x, _ in on_path], energies[[i for _, i in on_path]]))
    axis = plots.plot_bands(distance, wannier, ticks, labels, dft, model.fermi_energy, window)
    click.echo(f"Wrote {plots.save(axis, output)} ({sum(len(x) for _, x, _ in dft)} DFT k-points on the path)")


@plot.command("lambda")
@click.argument("source", metavar="TB_FILE_OR_PK")
@click.option("--mu", type=float, default=None, metavar="EV", help="Chemical potential (eV; see --fermi-energy).")
@click.option("--fermi-energy", type=float, default=None, metavar="EV", help="--mu is relative to this energy (eV).")
@click.option("-T", "--temperature", type=float, default=0.0, show_default=True, help="Temperature (K).")
@click.option(
    "--kmesh", type=click.IntRange(4, 1024), default=96, show_default=True, metavar="N",
    help="N x N points of a Gamma-centred grid of the whole zone.",
)  # fmt: skip
@click.option(
    "--degeneracy-tol", type=click.FloatRange(min=0.0), default=DEFAULT_CONVENTIONS.degeneracy_tol,
    show_default=True, metavar="EV",
    help="Degenerate-cluster tolerance (eV); raise it above the PT-pair splitting of a model that should be PT "
    "symmetric.",
)  # fmt: skip
@click.option("--no-mdrs", is_flag=True, help="Ignore seedname_wsvec.dat beside TB_FILE (not wannier90's way).")
@click.option("--json", "json_file", type=click.Path(dir_okay=False, path_type=pathlib.Path), help="Also the numbers.")
@click.option(
    "--clip-percentile", type=click.FloatRange(0.0, 100.0, min_open=True), default=100.0, show_default=True,
    metavar="P",
    help="End each colour scale at this percentile of |Lambda| (the larger values, spikes at band crossings, in the "
    "end colours; the colour bar says so); 100 draws the largest.",
)  # fmt: skip
@OUTPUT
@PROFILE
def plot_lambda_command(
    source, mu, fermi_energy, temperature, kmesh, degeneracy_tol, no_mdrs, json_file, clip_percentile, output,
    profile_name,
):  # fmt: skip
    """Lambda_x(k) and Lambda_y(k) ((e/hbar) Å³, Xiao et al. Eq. 11) of a Wannier90 TB_FILE or a stored model,
    computed and drawn; or the stored map of a chain run with lambda_map_mu (its lambda_map output, or that node),
    drawn as it is when --mu is not given; or a map this command wrote with --json, drawn again. With a node, --mu is
    relative to the model's Fermi energy.

    Examples:

    \b
        aiida-orbmag plot lambda aiida_tb.dat.gz --mu 0.48 --fermi-energy -3.1 --kmesh 96 -o lambda.png --json map.json
        aiida-orbmag plot lambda map.json --clip-percentile 99 -o lambda.png   # drawn again, no recomputation
        aiida-orbmag plot lambda 1234 -o lambda.png            # the chain's lambda_map output
        aiida-orbmag plot lambda 1234 --mu 0.1 -o lambda.png   # computed from the chain's model
    """
    import json

    import numpy as np

    from aiida_orbmag import plots
    from aiida_orbmag.physics.response import lambda_map

    path = pathlib.Path(source)
    if path.is_file() and path.suffix == ".json":
        _draw_lambda_json(path, output, clip_percentile)
        return
    if path.is_file():
        from aiida_orbmag.io.wannier90 import AUTO, read_tb_dat

        model = read_tb_dat(path, wsvec=None if no_mdrs else AUTO)
    else:
        from aiida_orbmag.tools.nodes import lambda_map_of_node, model_of_node

        node = _node(source, profile_name)
        stored = lambda_map_of_node(node)
        if mu is None and stored is not None:
            _draw_stored_lambda(stored, output, clip_percentile)
            return
        model = model_of_node(node).get_model()
        fermi_energy = model.fermi_energy if fermi_energy is None else fermi_energy
    if mu is None:
        raise click.UsageError("Give --mu (eV): the map is computed at one chemical potential.")
    absolute_mu = mu + (fermi_energy or 0.0)
    fractional = (np.arange(kmesh) - kmesh // 2) / kmesh  # centred on Gamma
    grid = np.stack(np.meshgrid(fractional, fractional, indexing="ij"), axis=-1).reshape(-1, 2)
    conventions = DEFAULT_CONVENTIONS.replace(degeneracy_tol=degeneracy_tol)
    kpoints = grid @ model.reciprocal_lattice_2d
    values = lambda_map(model, absolute_mu, temperature, kpoints=kpoints, conventions=conventions).values
    values = values.reshape(kmesh, kmesh, 2)
    figure = plots.plot_lambda_maps(
        fractional, values, model.reciprocal_lattice_2d, _lambda_title(mu, fermi_energy), clip_percentile
    )
    click.echo(f"Wrote {plots.save(figure, output)}")
    if json_file is not None:
        document = {
            "mu_eV": mu,
            "fermi_energy_eV": fermi_energy,
            "temperature_K": temperature,
            "degeneracy_tol_eV": conventions.degeneracy_tol,
            "fractional_k": fractional.tolist(),
            "reciprocal_lattice_per_angstrom": model.reciprocal_lattice_2d.tolist(),
            "lambda_e_per_hbar_angstrom3": values.tolist(),
            "model": model.summary(),
        }
        json_file.write_text(json.dumps(document))
        click.echo(f"Wrote {json_file}")


def _lambda_title(mu: float, fermi_energy: float | None) -> str:
    """The panels' title: mu as given, relative to E_F when a Fermi energy is known."""
    where = r"$\mu$" if fermi_energy is None else r"$\mu - E_F$"
    return f"({where} = {mu:g} eV)"


def _draw_lambda_json(path: pathlib.Path, output, clip_percentile: float) -> None:
    """A map written by ``plot lambda --json``, drawn again (the same title, another colour scale)."""
    import json

    import numpy as np

    from aiida_orbmag import plots

    try:
        document = json.loads(path.read_text())
        fractional = np.asarray(document["fractional_k"], dtype=float)
        values = np.asarray(document["lambda_e_per_hbar_angstrom3"], dtype=float)
        reciprocal = np.asarray(document["reciprocal_lattice_per_angstrom"], dtype=float)
        mu, fermi = document["mu_eV"], document.get("fermi_energy_eV")
    except (ValueError, KeyError, TypeError) as error:
        raise click.BadParameter(
            f"{path} is not a map written by 'plot lambda --json' ({error!r}); give a model file, a node or such a map."
        ) from error
    n = len(fractional)
    if values.shape != (n, n, 2) or reciprocal.shape != (2, 2):
        raise click.BadParameter(f"{path}: Lambda has shape {values.shape}, expected ({n}, {n}, 2) for its grid.")
    figure = plots.plot_lambda_maps(fractional, values, reciprocal, _lambda_title(mu, fermi), clip_percentile)
    click.echo(f"Wrote {plots.save(figure, output)} (from {path})")


def _draw_stored_lambda(stored, output, clip_percentile: float = 100.0) -> None:
    """A stored ``lambda_map`` (k-points in Cartesian 1/Å on the chain's uniform grid), folded onto the Gamma-centred
    zone and drawn as the computed maps are; mu relative to the model's Fermi energy when it is known."""
    import numpy as np

    from aiida_orbmag import plots

    creator = stored.creator
    model = creator.inputs.tight_binding.get_model() if creator and "tight_binding" in creator.inputs else None
    kpoints, values = stored.get_array("kpoints"), stored.get_array("lambda")
    mu, temperature = stored.base.attributes.get("mu_eV"), stored.base.attributes.get("temperature_K")
    fermi = None if model is None else model.fermi_energy
    where = f"$\\mu$ = {mu:.3f} eV" if fermi is None else f"$\\mu - E_F$ = {mu - fermi:.3f} eV"
    title = f"({where}, T = {temperature:g} K)"
    n = int(round(np.sqrt(len(kpoints))))
    if model is not None and n * n == len(kpoints):
        reciprocal = model.reciprocal_lattice_2d
        fractional = kpoints @ np.linalg.inv(reciprocal)
        fractional = (fractional + 0.5) % 1.0 - 0.5  # onto [-1/2, 1/2): Gamma in the middle
        order = np.lexsort((np.round(fractional[:, 1], 9), np.round(fractional[:, 0], 9)))
        axis = np.sort(np.unique(np.round(fractional[:, 0], 9)))
        figure = plots.plot_lambda_maps(axis, values[order].reshape(n, n, 2), reciprocal, title, clip_percentile)
    else:
        figure = plots.plot_lambda_points(kpoints, values, title, clip_percentile)
    click.echo(f"Wrote {plots.save(figure, output)} (the stored map {stored.uuid})")
