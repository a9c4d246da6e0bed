#!/usr/bin/env bash
# Fig. 2 of Xiao et al., PRB 103, 045401 (2021) from the committed bilayer-CrI3 Wannier model, with the package's CLI.
#
#   bash examples/cri3_bilayer_fig2.sh [KMESH] [PROCESSES] [DATA] [OUT] [LAMBDA_KMESH]
#
# Reads DATA (default examples/data/cri3_bilayer/: aiida_tb.dat.gz, aiida_wsvec.dat.gz, symmetry_operations.json,
# model.json with the Fermi energy, the band edges and the doped point) and writes the JSON of the numbers, the PNGs
# and summary.json/summary.md of the comparison numbers under OUT (default examples/results/cri3_bilayer/). KMESH
# (default 240) is the chi/alpha grid, LAMBDA_KMESH (default 120) the grid of the Lambda(k) maps.
set -euo pipefail
cd "$(dirname "$0")/.."
KMESH=${1:-240}
PROCESSES=${2:-2}
DATA=${3:-examples/data/cri3_bilayer}
OUT=${4:-examples/results/cri3_bilayer}
LAMBDA_KMESH=${5:-120}
mkdir -p "$OUT"
read -r FERMI DOPED < <(python3 -c "import json; d = json.load(open('$DATA/model.json')); print(d['fermi_energy_eV'], d['doped_mu_minus_fermi_eV'])")
MODEL="$DATA/aiida_tb.dat.gz"
SYMMETRY="$DATA/symmetry_operations.json"

# (a, b) chi(mu) and alpha(mu) at 10 K (and T = 0 for the Mott check), mu - E_F from -1 to 1.5 eV
aiida-orbmag compute "$MODEL" --fermi-energy "$FERMI" --mu-range -1.0 1.5 501 \
    --temperature 0 --temperature 10 --kmesh "$KMESH" "$KMESH" --kmesh-error --symmetry "$SYMMETRY" \
    --processes "$PROCESSES" --no-progress --json "$OUT/chi_alpha_10K.json" > "$OUT/chi_alpha_10K.txt"
aiida-orbmag plot chi "$OUT/chi_alpha_10K.json" -T 10 -o "$OUT/fig2a_chi.png"
aiida-orbmag plot alpha "$OUT/chi_alpha_10K.json" -o "$OUT/fig2b_alpha.png"

# (b, inset) alpha(T) at the doped point, on a mu grid around it fine enough for the Mott check (0.1 meV steps,
# under k_B T from 2 K up)
TEMPERATURES=$(for t in 0 2 5 10 15 20 30 40 50; do printf -- "--temperature %s " "$t"; done)
# shellcheck disable=SC2086
aiida-orbmag compute "$MODEL" --fermi-energy "$FERMI" \
    --mu-range "$(python3 -c "print($DOPED - 0.05)")" "$(python3 -c "print($DOPED + 0.05)")" 1001 \
    $TEMPERATURES --kmesh "$KMESH" "$KMESH" --kmesh-error --processes "$PROCESSES" --no-progress \
    --json "$OUT/alpha_T.json" > "$OUT/alpha_T.txt"
aiida-orbmag plot alpha-t "$OUT/alpha_T.json" --mu "$DOPED" -o "$OUT/fig2b_alpha_T.png"

# (c, d) Lambda_x(k), Lambda_y(k) at the doped point, T = 0
aiida-orbmag plot lambda "$MODEL" --fermi-energy "$FERMI" --mu "$DOPED" --kmesh "$LAMBDA_KMESH" \
    -o "$OUT/fig2cd_lambda.png" --json "$OUT/lambda_map.json"

# The numbers of the comparison with the paper (forbidden fraction, gap and doped chi_x, k-mesh error, alpha/T against
# the Sommerfeld value, Lambda parity): summary.json and a Markdown list on stdout
python3 examples/cri3_bilayer_summary.py "$DATA" "$OUT" > "$OUT/summary.md"
