#!/usr/bin/env bash
# From a fresh Debian machine to the embedded default, ready for `verdi run examples/quick_demo.py`:
#   1. Quantum ESPRESSO and Wannier90 from Debian (only when pw.x or wannier90.x is missing; sudo unless root);
#   2. this package (pip install -e .; set ORBMAG_SKIP_PIP=1 when it is installed already);
#   3. an AiiDA profile from `verdi presto` (SQLite + the built-in broker: no services) unless one is the default;
#   4. the localhost computer's codes pw, pw2wannier90, wannier90 and ld1 (`aiida-orbmag codes setup`).
# Rerunning it changes nothing that is already there. The CrI3 examples also need the offline fully relativistic
# pseudopotential families: `aiida-orbmag pseudos install` (a few minutes of ld1.x).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pw.x >/dev/null || ! command -v pw2wannier90.x >/dev/null || ! command -v wannier90.x >/dev/null; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends quantum-espresso quantum-espresso-data wannier90 >/dev/null
fi
[ "${ORBMAG_SKIP_PIP:-0}" = 1 ] || python3 -m pip install --quiet -e .
verdi profile show >/dev/null 2>&1 || verdi presto
aiida-orbmag codes setup
