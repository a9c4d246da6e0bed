"""``aiida-orbmag plot``: figures of a result written by ``aiida-orbmag compute --json``.

Examples::

    aiida-orbmag compute model_tb.dat --mu-range -1 1 401 --temperature 0 --temperature 10 --kmesh 96 96 \\
        --kmesh-error --json results.json
    aiida-orbmag plot chi results.json -T 10 -o chi.png
    aiida-orbmag plot alpha results.json -o alpha.png
    aiida-orbmag plot alpha-t results.json --mu 0.48 -o alpha_t.png
    aiida-orbmag plot lambda model_tb.dat --mu 0.48 --fermi-energy -3.1 --kmesh 96 -o lambda.png
"""

from __future__ import annotations

import pathlib

import click

OUTPUT = click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=pathlib.Path),
    help="PNG file to write.",
)
RESULTS = click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=pathlib.Path))


@click.group()
def plot():
    """Figures (PNG) of chi(mu), alpha(mu) and alpha(T) from the JSON of `aiida-orbmag compute`; Lambda(k) maps."""


@plot.command("chi")
@RESULTS
@click.option("-T", "--temperature", type=float, default=0.0, show_default=True, help="Temperature (K) to draw.")
@OUTPUT
def plot_chi_command(results, temperature, output):
    """chi_x and chi_y (nm/Ohm) against mu, with the k-mesh error as a band when the file has one.

    Example: aiida-orbmag plot chi results.json -T 10 -o chi.png
    """
    from aiida_orbmag import plots

    data = plots.results_from_json(results)
    click.echo(f"Wrote {plots.save(plots.plot_chi(data, temperature), output)}")


@plot.command("alpha")
@RESULTS
@click.option("--component", type=click.Choice(["x", "y"]), default="x", show_default=True)
@OUTPUT
def plot_alpha_command(results, component, output):
    """alpha (nA nm/K) against mu, one line per temperature above 0 K.

    Example: aiida-orbmag plot alpha results.json -o alpha.png
    """
    from aiida_orbmag import plots

    data = plots.results_from_json(results)
    click.echo(f"Wrote {plots.save(plots.plot_alpha(data, component=component), output)}")


@plot.command("alpha-t")
@RESULTS
@click.option("--mu", type=float, required=True, help="Chemical potential (eV, as in the file); nearest grid point.")
@click.option("--component", type=click.Choice(["x", "y"]), default="x", show_default=True)
@OUTPUT
def plot_alpha_temperature_command(results, mu, component, output):
    """alpha (nA nm/K) against T at one mu, with the Mott/Sommerfeld line when the file has T = 0.

    Example: aiida-orbmag plot alpha-t results.json --mu 0.48 -o alpha_t.png
    """
    from aiida_orbmag import plots

    data = plots.results_from_json(results)
    click.echo(f"Wrote {plots.save(plots.plot_alpha_temperature(data, mu, component=component), output)}")


@plot.command("lambda")
@click.argument("tb_file", type=click.Path(exists=True, dir_okay=False, path_type=pathlib.Path))
@click.option("--mu", type=float, required=True, metavar="EV", help="Chemical potential (eV; see --fermi-energy).")
@click.option("--fermi-energy", type=float, default=None, metavar="EV", help="--mu is relative to this energy (eV).")
@click.option("-T", "--temperature", type=float, default=0.0, show_default=True, help="Temperature (K).")
@click.option(
    "--kmesh", type=click.IntRange(4, 1024), default=96, show_default=True, metavar="N",
    help="N x N points of a Gamma-centred grid of the whole zone.",
)  # fmt: skip
@click.option("--no-mdrs", is_flag=True, help="Ignore seedname_wsvec.dat beside TB_FILE (not wannier90's way).")
@click.option("--json", "json_file", type=click.Path(dir_okay=False, path_type=pathlib.Path), help="Also the numbers.")
@OUTPUT
def plot_lambda_command(tb_file, mu, fermi_energy, temperature, kmesh, no_mdrs, json_file, output):
    """Lambda_x(k) and Lambda_y(k) ((e/hbar) Å³, Xiao et al. Eq. 11) of a Wannier90 TB_FILE, computed and drawn.

    Example: aiida-orbmag plot lambda aiida_tb.dat.gz --mu 0.48 --fermi-energy -3.1 --kmesh 96 -o lambda.png
    """
    import json

    import numpy as np

    from aiida_orbmag import plots
    from aiida_orbmag.io.wannier90 import AUTO, read_tb_dat
    from aiida_orbmag.physics.response import lambda_map

    model = read_tb_dat(tb_file, wsvec=None if no_mdrs else AUTO)
    absolute_mu = mu + (fermi_energy or 0.0)
    fractional = (np.arange(kmesh) - kmesh // 2) / kmesh  # centred on Gamma
    grid = np.stack(np.meshgrid(fractional, fractional, indexing="ij"), axis=-1).reshape(-1, 2)
    values = lambda_map(model, absolute_mu, temperature, kpoints=grid @ model.reciprocal_lattice_2d).values
    values = values.reshape(kmesh, kmesh, 2)
    where = r"$\mu$" if fermi_energy is None else r"$\mu - E_F$"
    figure = plots.plot_lambda_maps(fractional, values, model.reciprocal_lattice_2d, f"({where} = {mu:g} eV)")
    click.echo(f"Wrote {plots.save(figure, output)}")
    if json_file is not None:
        document = {
            "mu_eV": mu,
            "fermi_energy_eV": fermi_energy,
            "temperature_K": temperature,
            "fractional_k": fractional.tolist(),
            "reciprocal_lattice_per_angstrom": model.reciprocal_lattice_2d.tolist(),
            "lambda_e_per_hbar_angstrom3": values.tolist(),
            "model": model.summary(),
        }
        json_file.write_text(json.dumps(document))
        click.echo(f"Wrote {json_file}")
