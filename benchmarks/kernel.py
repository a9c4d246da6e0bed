"""Throughput and memory of the chi/alpha kernel, as ratios against references timed in the same run.

    python benchmarks/kernel.py                 # quick figures (a few minutes on 2 cores)
    python benchmarks/kernel.py --full          # grids up to 400x400 (long)
    python benchmarks/kernel.py --wannierberri  # also WannierBerri on the same _tb.dat and grid, if installed
    python benchmarks/kernel.py --compare-exact # also 1000 mu x 10 T with the exact per-level weights (slow)
    python benchmarks/kernel.py --memory-scan   # N_w = 112 on growing grids: peak memory and time per k
    python benchmarks/kernel.py --fermi-surface # also chi with the Fermi-surface metric form (no second derivatives)

For each model size N_w (random models with 169 R vectors, the size of a real 2D Wannier model) it prints
k-points per second of ``compute_susceptibility`` with direct and FFT interpolation for 1 mu x 1 T (T = 0) and for
1000 mu x 10 T (10-300 K, the default occupation method: binned Taylor sums), the extra cost of the latter, the peak
of traced memory, and the ratios to

- a plain per-k-point loop (interpolate, eigh, matrix elements and Lambda for one k at a time),
- the stacked-eigh floor (``numpy.linalg.eigh`` of a stack of random Hermitian N_w x N_w matrices, same k count),
- WannierBerri (optional): its Fermi-sea anomalous Hall conductivity (Berry curvature, an interband quantity of
  the same kind; its orbital magnetisation needs the CC_R matrix that a _tb.dat does not hold) on the same
  _tb.dat and grid.

``--memory-scan`` runs N_w = 112 (``--scan-nw``) on grids 20x20, 40x40, 80x80, ... (``--scan-grids``) and prints
the peak of traced memory and the time per k-point: the peak should not grow with N_k (chunks and FFT sub-grids are
bounded by ``Execution.memory_bytes``) and the time should be linear in N_k.

Figures are machine- and load-dependent; only the ratios of one run mean anything.
"""

from __future__ import annotations

import argparse
import functools
import os
import tempfile
import time
import tracemalloc

import numpy as np

from aiida_orbmag.io.wannier90 import write_tb_dat
from aiida_orbmag.physics import geometry
from aiida_orbmag.physics.bands import band_basis
from aiida_orbmag.physics.conventions import DEFAULT_CONVENTIONS, Conventions
from aiida_orbmag.physics.fourier import FourierInterpolator
from aiida_orbmag.physics.kgrid import uniform_grid
from aiida_orbmag.physics.plan import Execution
from aiida_orbmag.physics.reference_models import random_model
from aiida_orbmag.physics.response import compute_susceptibility


def timed(function, repeat: int = 1) -> tuple[float, float]:
    """(best wall time in s, peak traced memory in bytes) of ``function()``."""
    best, peak = np.inf, 0
    for _ in range(repeat):
        tracemalloc.start()
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
        peak = max(peak, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    return best, peak


def _keep(store: dict, run, *args, **kwargs):
    """Call run and keep the occupation method it used."""
    store["method"] = run(*args, **kwargs).settings["occupation_method"]


def plain_loop(model, kpoints):
    """The reference: one k-point at a time, no batching."""
    interpolator = FourierInterpolator(model)
    total = np.zeros(2)
    for k in kpoints:
        bands = band_basis(interpolator.at(k[None]), DEFAULT_CONVENTIONS.degeneracy_tol)
        lam = geometry.lambda_first_term(bands) + geometry.lambda_metric_term(bands)
        total += (lam[0] * (bands.cluster_energy[0] < 0)).sum(axis=-1)
    return total


def eigh_floor(num_wann, nk, chunk=64):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(min(nk, chunk), num_wann, num_wann)) + 1j * rng.normal(
        size=(min(nk, chunk), num_wann, num_wann)
    )
    stack = a + np.conj(np.swapaxes(a, 1, 2))
    for start in range(0, nk, chunk):
        np.linalg.eigh(stack[: min(chunk, nk - start)])


def wannierberri_time(model, kmesh):
    """Seconds for WannierBerri's Fermi-sea anomalous Hall conductivity on the same model and grid (after a warm-up
    run that compiles its numba kernels), or a reason."""
    try:
        import wannierberri as wberri
        from wannierberri.calculators.static import AHC
        from wannierberri.system import System_tb
    except ImportError:
        return None, "wannierberri is not installed (pip install wannierberri)"
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench_tb.dat")
        write_tb_dat(model, path)
        try:
            system = System_tb(path, berry=True)
            grid = wberri.Grid(system, NK=(kmesh[0], kmesh[1], 1), NKFFT=(min(kmesh[0], 16), min(kmesh[1], 16), 1))
            calculators = {"AHC": AHC(Efermi=np.array([0.0]), tetra=False)}
            here = os.getcwd()
            os.chdir(folder)  # wberri.run writes its result files into the working directory
            try:
                # warm-up on a 4x4 grid: numba compiles WannierBerri's kernels on first use, which is not throughput
                warm_up = wberri.Grid(system, NK=(4, 4, 1), NKFFT=(4, 4, 1))
                wberri.run(system, grid=warm_up, calculators=calculators, print_Kpoints=False)
                start = time.perf_counter()
                wberri.run(system, grid=grid, calculators=calculators, print_Kpoints=False)
                seconds = time.perf_counter() - start
            finally:
                os.chdir(here)
            return seconds, "anomalous Hall conductivity (Fermi sea), 1 Fermi level"
        except Exception as error:  # a benchmark reports, it does not stop
            return None, f"WannierBerri failed: {type(error).__name__}: {error}"


def memory_scan(num_wann: int, grids: list[int]) -> None:
    """Peak traced memory and time per k-point of compute_susceptibility (1 mu, T = 0) on growing grids."""
    model = random_model(num_wann, seed=1, hopping_range=6)
    print(f"# memory scan, N_w = {num_wann}, 1 mu x 1 T (T = 0), default Execution.memory_bytes")
    print("grid       N_k    time (s)  ms per k  peak MiB")
    for n in grids:
        seconds, peak = timed(functools.partial(compute_susceptibility, model, [0.0], [0.0], (n, n)))
        print(f"{n:>4}x{n:<4} {n * n:>6}  {seconds:>9.1f}  {1e3 * seconds / (n * n):>8.2f}  {peak / 2**20:>8.0f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="grids up to 400x400")
    parser.add_argument("--wannierberri", action="store_true", help="also time WannierBerri")
    parser.add_argument("--compare-exact", action="store_true", help="also 1000 mu x 10 T with exact weights")
    parser.add_argument(
        "--fermi-surface", action="store_true", help="also the Fermi-surface metric form (1 mu, 300 K), no d2H/dk2"
    )
    parser.add_argument("--sizes", type=int, nargs="*", default=[8, 32, 112])
    parser.add_argument("--memory-scan", action="store_true", help="peak memory and time per k on growing grids")
    parser.add_argument("--scan-nw", type=int, default=112, help="N_w of the memory scan")
    parser.add_argument("--scan-grids", type=int, nargs="*", default=[20, 40, 80], help="n of the n x n scan grids")
    args = parser.parse_args()
    print(f"# {os.cpu_count()} cores; OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    if args.memory_scan:
        memory_scan(args.scan_nw, args.scan_grids)
        return
    grids = {8: 400, 32: 200, 112: 60} if args.full else {8: 96, 32: 36, 112: 12}
    mus, temps = np.linspace(-1.0, 1.0, 1000), np.linspace(10.0, 300.0, 10)
    header = "N_w  grid     path    1mu1T k/s  1000mu10T k/s  method  extra(%)  peak MiB  x plain  x floor-time"
    print(header)
    for num_wann in args.sizes:
        n = grids.get(num_wann, 24)
        model = random_model(num_wann, seed=1, hopping_range=6)
        nk = n * n
        kpoints = uniform_grid(model.reciprocal_lattice_2d, (n, n))
        sample = kpoints[:: max(1, nk // 64)]
        plain, _ = timed(functools.partial(plain_loop, model, sample))
        plain_per_k = plain / len(sample)
        floor, _ = timed(functools.partial(eigh_floor, num_wann, nk), repeat=2)
        methods = ("auto", "exact") if args.compare_exact else ("auto",)
        for path in ("direct", "fft"):
            run = functools.partial(compute_susceptibility, model, kmesh=(n, n))
            one, peak = timed(functools.partial(run, [0.0], [0.0], execution=Execution(interpolation=path)))
            for method in methods:
                result = {}
                execution = Execution(interpolation=path, occupation_method=method)
                many, peak_many = timed(functools.partial(_keep, result, run, mus, temps, execution=execution))
                print(
                    f"{num_wann:>3}  {n:>3}x{n:<3}  {path:<6}  {nk / one:>11.0f}  {nk / many:>13.0f}  "
                    f"{result['method']:<6}  {100 * (many / one - 1):>8.0f}  {max(peak, peak_many) / 2**20:>8.0f}  "
                    f"{plain_per_k * nk / one:>7.1f}  {one / floor:>12.1f}"
                )
        if args.fermi_surface:
            surface = Conventions(metric_form="fermi_surface")
            run = functools.partial(compute_susceptibility, model, [0.0], [300.0], (n, n), conventions=surface)
            seconds, peak = timed(run)
            print(
                f"{num_wann:>3}  {n:>3}x{n:<3}  {'auto':<6}  {nk / seconds:>11.0f}  (Fermi-surface form, 300 K)  "
                f"peak {peak / 2**20:.0f} MiB  x plain {plain_per_k * nk / seconds:.1f}  x floor {seconds / floor:.1f}"
            )
        if args.wannierberri:
            seconds, what = wannierberri_time(model, (n, n))
            if seconds is None:
                print(f"     WannierBerri: {what}")
            else:
                print(f"     WannierBerri {what}: {nk / seconds:.0f} k/s")


if __name__ == "__main__":
    main()
