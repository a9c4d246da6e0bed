"""``orbmag.wannier90``: parser of ``wannier90.x`` runs made by ``Wannier90Calculation``.

Errors are looked for first (so that a failed run never yields partial outputs that look valid), in ``.werr`` even
when ``aiida.wout`` was never written, in this order: b-vectors (401) and disentanglement-window (402) messages
anywhere in ``.werr`` or ``aiida.wout``, any other ``.werr`` (300), wannier90's "Exiting" message (400), and an
``aiida.wout`` without its closing line (404). A finished run yields ``output_parameters``, ``tight_binding`` from
``aiida_tb.dat`` with the MDRS shifts of ``aiida_wsvec.dat`` applied (409 when that file is missing, 410 when it does
not fit the model) and, with a band path, ``interpolated_bands``; unconverged disentanglement or spread minimisation
is then reported with 407 / 408 after the outputs are attached.
"""

from __future__ import annotations

import pathlib
import re
import shutil
import tempfile

import numpy as np
from aiida import orm
from aiida.parsers import Parser

from aiida_orbmag.calculations.wannier90_inputs import OUTPUT_FILE, SEEDNAME
from aiida_orbmag.data import TightBindingData
from aiida_orbmag.io import wannier90
from aiida_orbmag.parsers.text import retrieved_text
from aiida_orbmag.physics.mdrs import apply_mdrs

BVECTOR_MESSAGES = ("Unable to satisfy B1", "kmesh_get_bvectors", "Not enough bvectors found")
WINDOW_MESSAGES = ("Energy window contains fewer states than number of target WFs",)
DONE_FULL = "All done: wannier90 exiting"
DONE_POSTPROC = f"Exiting... {SEEDNAME}.nnkp written."

_FLOAT = r"[-+]?\d*\.\d+(?:[eEdD][-+]?\d+)?"
_WF_LINE = re.compile(rf"WF centre and spread\s+(\d+)\s+\(\s*({_FLOAT}),\s*({_FLOAT}),\s*({_FLOAT})\s*\)\s+({_FLOAT})")
_OMEGA = re.compile(rf"Omega (I|D|OD|Total)\s+=\s+({_FLOAT})")


class Wannier90Parser(Parser):
    """Turn a retrieved wannier90 run into nodes, or into the exit code of its failure."""

    def parse(self, **kwargs):
        try:
            return self._parse()
        except (ValueError, KeyError, IndexError, OSError) as error:  # a file the cases below did not foresee
            return self.exit_codes.ERROR_OUTPUT_FILES_INVALID.format(
                error=" ".join(str(error).split())[:500].rstrip(".")
            )

    def _text(self, name: str) -> str:
        return retrieved_text(self.retrieved, name)

    def _parse(self):
        retrieved = self.retrieved
        names = retrieved.base.repository.list_object_names()
        werr = "\n".join(self._text(n) for n in names if n.endswith(".werr"))
        if OUTPUT_FILE not in names and not werr:
            return self.exit_codes.ERROR_OUTPUT_STDOUT_MISSING
        # wannier90 stops on bad input before it opens aiida.wout, leaving only the .werr
        stdout = self._text(OUTPUT_FILE) if OUTPUT_FILE in names else ""
        failure = self._failure(stdout, werr)
        if failure is not None:
            return failure
        if DONE_POSTPROC in stdout:
            if f"{SEEDNAME}.nnkp" not in names:
                return self.exit_codes.ERROR_NNKP_FILE_MISSING
            with retrieved.base.repository.open(f"{SEEDNAME}.nnkp", "rb") as handle:
                self.out("nnkp_file", orm.SinglefileData(handle, filename=f"{SEEDNAME}.nnkp"))
            return None

        parameters = parse_wout(stdout)
        inputs = {key.lower(): value for key, value in self.node.inputs.parameters.get_dict().items()}
        if inputs.get("dis_num_iter") == 0:
            # no disentanglement iterations were asked for: the projected subspace is used as it is, and wannier90's
            # "criteria not satisfied" says nothing about the run
            parameters["disentanglement_converged"] = None
        self.out("output_parameters", orm.Dict(parameters))
        exit_code = self._tight_binding(names)
        if exit_code is not None:
            return exit_code
        if f"{SEEDNAME}_band.dat" in names and f"{SEEDNAME}_band.kpt" in names:
            try:
                bands = self._bands()
            except ValueError as error:
                return self.exit_codes.ERROR_BAND_FILES_INVALID.format(
                    error=" ".join(str(error).split())[:500].rstrip(".")
                )
            self.out("interpolated_bands", bands)
        if parameters["disentanglement_converged"] is False:
            return self.exit_codes.ERROR_DISENTANGLEMENT_NOT_CONVERGED
        if parameters["wannierisation_converged"] is False:
            return self.exit_codes.ERROR_WANNIERISATION_NOT_CONVERGED
        return None

    def _failure(self, stdout: str, werr: str):
        text = werr + "\n" + stdout
        if any(message in text for message in BVECTOR_MESSAGES):
            return self.exit_codes.ERROR_BVECTORS
        if any(message in text for message in WINDOW_MESSAGES):
            return self.exit_codes.ERROR_DISENTANGLEMENT_NOT_ENOUGH_STATES
        if werr.strip():
            return self.exit_codes.ERROR_WERR_FILE_PRESENT.format(error=_error_lines(werr).rstrip("."))
        if re.search(r"^\s*Exiting\.{3,}\s*$", stdout, flags=re.MULTILINE):
            error = _error_lines(stdout.split("Exiting")[-1])
            return self.exit_codes.ERROR_EXITING_MESSAGE_IN_STDOUT.format(error=error.rstrip("."))
        if DONE_FULL not in stdout and DONE_POSTPROC not in stdout:
            return self.exit_codes.ERROR_OUTPUT_STDOUT_INCOMPLETE
        return None

    def _tight_binding(self, names):
        filename, wsvec_name = f"{SEEDNAME}_tb.dat", f"{SEEDNAME}_wsvec.dat"
        if filename not in names:
            return self.exit_codes.ERROR_TIGHT_BINDING_FILE_MISSING
        if wsvec_name not in names:
            return self.exit_codes.ERROR_WSVEC_FILE_MISSING
        parameters = {key.lower(): value for key, value in self.node.inputs.parameters.get_dict().items()}
        with tempfile.TemporaryDirectory() as folder:
            path, wsvec = pathlib.Path(folder) / filename, pathlib.Path(folder) / wsvec_name
            for name, target_path in ((filename, path), (wsvec_name, wsvec)):
                with self.retrieved.base.repository.open(name, "rb") as source, target_path.open("wb") as target:
                    shutil.copyfileobj(source, target)
            try:
                model = wannier90.read_tb_dat(path, wsvec=None)
            except ValueError as error:
                return self.exit_codes.ERROR_TIGHT_BINDING_FILE_INVALID.format(
                    error=" ".join(str(error).split()).rstrip(".")
                )
            try:
                model = apply_mdrs(model, wannier90.read_wsvec_dat(wsvec))
            except ValueError as error:
                return self.exit_codes.ERROR_WSVEC_FILE_INVALID.format(error=" ".join(str(error).split()).rstrip("."))
        fermi_energy = parameters.get("fermi_energy")
        model = model.replace(
            fermi_energy=None if fermi_energy is None else float(fermi_energy),
            spinor=bool(parameters.get("spinors", False)),
        )
        self.out("tight_binding", TightBindingData(model=model))
        return None

    def _bands(self) -> orm.BandsData:
        """The interpolated bands; ValueError for band files that do not fit together (truncated, corrupted)."""
        repository = self.retrieved.base.repository
        kpt_lines = self._text(f"{SEEDNAME}_band.kpt").split("\n")
        try:
            declared = int(kpt_lines[0].split()[0])
            kpoints = np.array([line.split()[:3] for line in kpt_lines[1:] if line.strip()], dtype=float)
            columns = np.loadtxt(self._text(f"{SEEDNAME}_band.dat").splitlines(), ndmin=2)
        except (ValueError, IndexError) as error:
            raise ValueError(f"aiida_band.kpt / aiida_band.dat are not readable ({error})") from None
        num_wann = int(self.node.inputs.parameters.get_dict().get("num_wann", 0) or 0)
        if kpoints.ndim != 2 or kpoints.shape[1] != 3 or len(kpoints) != declared or declared < 1:
            raise ValueError(f"aiida_band.kpt declares {declared} k-points but holds {len(kpoints)} of 3 coordinates")
        if columns.shape[1] < 2 or len(columns) != declared * num_wann or not np.all(np.isfinite(columns)):
            raise ValueError(
                f"aiida_band.dat holds {len(columns)} finite lines, not {declared} k-points x {num_wann} bands; the "
                "file is truncated or corrupted"
            )
        energies = columns[:, 1].reshape(-1, len(kpoints)).T  # band.dat: one block of nk lines per band
        bands = orm.BandsData()
        bands.set_cell_from_structure(self.node.inputs.structure)
        bands.set_kpoints(kpoints)
        labels_file = f"{SEEDNAME}_band.labelinfo.dat"
        if labels_file in repository.list_object_names():
            labels = [line.split() for line in self._text(labels_file).splitlines() if line.strip()]
            try:
                bands.labels = [(int(fields[1]) - 1, fields[0]) for fields in labels]
            except (ValueError, IndexError):
                raise ValueError("aiida_band.labelinfo.dat is not readable; the file is corrupted") from None
        bands.set_bands(energies, units="eV")
        return bands


def parse_wout(stdout: str) -> dict:
    """Spreads (Å²), centres (Å), Omega_I/D/OD/Total (Å²), convergence and warnings from ``aiida.wout``."""
    final = stdout.rsplit("Final State", 1)[-1] if "Final State" in stdout else ""
    functions = [
        {"wf_ids": int(m[0]), "wf_centres": [float(m[1]), float(m[2]), float(m[3])], "wf_spreads": float(m[4])}
        for m in _WF_LINE.findall(final)
    ]
    omegas = {f"Omega_{name}": float(value) for name, value in _OMEGA.findall(final)}
    warnings = sorted(
        {
            " ".join(line.replace("<<<", "").replace(">>>", "").split())
            for line in stdout.splitlines()
            if "warning" in line.lower()
        }
    )
    if "Disentanglement convergence criteria satisfied" in stdout:
        dis_converged = True
    elif "Disentanglement convergence criteria not satisfied" in stdout:
        dis_converged = False
    else:
        dis_converged = None  # no disentanglement
    conv_window = re.search(r"Convergence window\s*:\s*(-?\d+)", stdout)
    if conv_window is not None and int(conv_window.group(1)) > 1:
        wannier_converged = "Wannierisation convergence criteria satisfied" in stdout
    else:
        wannier_converged = None  # wannier90 checks convergence only when conv_window > 1
    elapsed = re.search(rf"Total Execution Time\s+({_FLOAT})", stdout)
    return {
        "number_wannier_functions": len(functions),
        "wannier_functions_output": functions,
        **omegas,
        "length_units": "Ang",
        "spread_units": "Ang^2",
        "disentanglement_converged": dis_converged,
        "wannierisation_converged": wannier_converged,
        "warnings": warnings,
        "wall_time_seconds": float(elapsed.group(1)) if elapsed else None,
    }


def _error_lines(text: str) -> str:
    """The non-empty lines of an error message, joined, without wannier90's decoration."""
    lines = [line.strip(" *|") for line in text.splitlines()]
    return " ".join(line for line in lines if line and not line.startswith("Wannier90: Execution started"))[:1000]
