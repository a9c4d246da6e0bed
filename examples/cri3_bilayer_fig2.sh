#!/usr/bin/env bash
# Fig. 2 of Xiao et al., PRB 103, 045401 (2021) from the committed bilayer-CrI3 Wannier model, with the package's CLI.
#
#   bash examples/cri3_bilayer_fig2.sh [KMESH] [PROCESSES] [DATA] [OUT] [LAMBDA_KMESH] [CHECK_KMESH] [T_KMESH]
#
# Reads DATA (default examples/data/cri3_bilayer/: aiida_tb.dat.gz, aiida_wsvec.dat.gz, symmetry_operations.json,
# model.json with the Fermi energy, the band edges and the doped point) and writes the JSON of the numbers, the PNGs
# and summary.json/summary.md of the comparison numbers under OUT (default examples/results/cri3_bilayer/). KMESH
# (default 720) is the grid of chi(mu) and alpha(mu), T_KMESH (default 240) that of alpha(T), LAMBDA_KMESH (default 96)
# that of the Lambda(k) maps, CHECK_KMESH (default 48) that of the two check runs that
# tests/examples/test_cri3_bilayer_model.py repeats. On 2 cores the defaults take about 50 minutes, most of it the first
# run (720x720 k-points of a 112-band model: 30 minutes; on 480x480 the k-mesh error of chi_x exceeds 10% at its two
# sharpest peaks).
#
# Conventions, from DATA/model.json and explained in examples/results/cri3_bilayer/README.md:
# - mu is relative to the model's Fermi energy (pw.x's);
# - the degeneracy tolerance is twice the model's PT-pair splitting (pw.x cannot impose PT on the two Cr kinds), so
#   that the pairs are clusters;
# - chi and alpha take the metric term of Lambda on the Fermi surface (--metric-form fermi_surface, exact after the
#   zone integral, needs T > 0): the per-k analytic form sums singular terms at the crossings of the many occupied
#   bands of a 112-band model, which a uniform grid does not integrate to their zero. The Lambda(k) maps are per k,
#   so analytic; so is the check run for the Mott identity, which needs T = 0.
set -euo pipefail
cd "$(dirname "$0")/.."
KMESH=${1:-720}
PROCESSES=${2:-2}
DATA=${3:-examples/data/cri3_bilayer}
OUT=${4:-examples/results/cri3_bilayer}
LAMBDA_KMESH=${5:-96}
CHECK_KMESH=${6:-48}
T_KMESH=${7:-240}
mkdir -p "$OUT"
read -r FERMI DOPED TOL < <(python3 -c "import json; d = json.load(open('$DATA/model.json')); \
print(d['fermi_energy_eV'], d['doped_mu_minus_fermi_eV'], d.get('degeneracy_tol_eV', 1e-5))")
MODEL="$DATA/aiida_tb.dat.gz"
SYMMETRY="$DATA/symmetry_operations.json"
around() { python3 -c "print(f'{$DOPED + $1:.6f}')"; }
temperatures() { for t in "$@"; do printf -- "--temperature %s " "$t"; done; }

# (a, b) chi(mu) and alpha(mu) at 10 K, mu - E_F from -1 to 1.5 eV
aiida-orbmag compute "$MODEL" --fermi-energy "$FERMI" --mu-range -1.0 1.5 501 --temperature 10 \
    --kmesh "$KMESH" "$KMESH" --kmesh-error --symmetry "$SYMMETRY" --degeneracy-tol "$TOL" \
    --metric-form fermi_surface --processes "$PROCESSES" --no-progress --json "$OUT/chi_alpha_10K.json" \
    > "$OUT/chi_alpha_10K.txt"
aiida-orbmag plot chi "$OUT/chi_alpha_10K.json" -T 10 -o "$OUT/fig2a_chi.png"
aiida-orbmag plot alpha "$OUT/chi_alpha_10K.json" -o "$OUT/fig2b_alpha.png"

# (b, inset) alpha(T) at the doped point, 5-60 K, with its k-mesh error; mu = doped +- 5 meV in 1 meV steps, over
# which chi_x at 10 K gives the Sommerfeld line's slope (a straight-line fit: wider than k_B T, so that it averages
# over the grid's discrete levels, and narrower than chi_x's own curvature). On 240x240 alpha/T is resolved to 5% from
# 20 K up; below, the error bars show what the grid cannot resolve.
# shellcheck disable=SC2046
aiida-orbmag compute "$MODEL" --fermi-energy "$FERMI" --mu-range "$(around -0.005)" "$(around 0.005)" 11 \
    $(temperatures 5 10 15 20 30 40 50 60) --kmesh "$T_KMESH" "$T_KMESH" --kmesh-error --degeneracy-tol "$TOL" \
    --metric-form fermi_surface --processes "$PROCESSES" --no-progress --json "$OUT/alpha_T.json" > "$OUT/alpha_T.txt"
aiida-orbmag plot alpha-t "$OUT/alpha_T.json" --mu "$DOPED" --slope-from 10 0.005 -o "$OUT/fig2b_alpha_T.png"

# (c, d) Lambda_x(k), Lambda_y(k) at the doped point, T = 0. The analytic per-k form has spikes (up to a hundred times
# the median |Lambda|) where occupied bands of the 112-band model nearly cross: the colour scale ends at the 99th
# percentile of |Lambda| and the colour bars say so (`plot lambda lambda_map.json -o ...` redraws it another way)
aiida-orbmag plot lambda "$MODEL" --fermi-energy "$FERMI" --mu "$DOPED" --kmesh "$LAMBDA_KMESH" \
    --degeneracy-tol "$TOL" --clip-percentile 99 -o "$OUT/fig2cd_lambda.png" --json "$OUT/lambda_map.json"

# The check runs (tests/examples/test_cri3_bilayer_model.py repeats them, keep the two the same): the Mott identity
# (analytic form, T = 0 and 10 K, 0.1 meV steps) and alpha/T at low T (Fermi-surface form), CHECK_KMESH squared
# shellcheck disable=SC2046
aiida-orbmag compute "$MODEL" --fermi-energy "$FERMI" --mu-range "$(around -0.1)" "$(around 0.1)" 2001 \
    $(temperatures 0 10) --kmesh "$CHECK_KMESH" "$CHECK_KMESH" --symmetry "$SYMMETRY" --degeneracy-tol "$TOL" \
    --processes "$PROCESSES" --no-progress --json "$OUT/check_analytic.json" > /dev/null
# shellcheck disable=SC2046
aiida-orbmag compute "$MODEL" --fermi-energy "$FERMI" --mu-range "$(around -0.1)" "$(around 0.1)" 2001 \
    $(temperatures 60 90 120) --kmesh "$CHECK_KMESH" "$CHECK_KMESH" \
    --degeneracy-tol "$TOL" --metric-form fermi_surface --processes "$PROCESSES" --no-progress \
    --json "$OUT/check_fermi_surface.json" > /dev/null

# The numbers of the comparison with the paper (forbidden fraction, gap and doped chi_x, k-mesh error, alpha/T against
# the Sommerfeld value, Lambda parity, the check runs): summary.json and a Markdown list on stdout
python3 examples/cri3_bilayer_summary.py "$DATA" "$OUT" > "$OUT/summary.md"
