"""``aiida-orbmag plot``: figures of a result written by ``aiida-orbmag compute --json``.

Examples::

    aiida-orbmag compute model_tb.dat --mu-range -1 1 401 --temperature 0 --temperature 10 --kmesh 96 96 \\
        --kmesh-error --json results.json
    aiida-orbmag plot chi results.json -T 10 -o chi.png
    aiida-orbmag plot alpha results.json -o alpha.png
    aiida-orbmag plot alpha-t results.json --mu 0.48 -o alpha_t.png
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
    """Figures (PNG) of chi(mu), alpha(mu) and alpha(T) from the JSON of `aiida-orbmag compute`."""


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
