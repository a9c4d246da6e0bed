"""Results of stored nodes in the forms the plots take: a chain, its chi or alpha node, the model, the bands."""

from __future__ import annotations

import numpy as np
from aiida import orm

from aiida_orbmag.data import TightBindingData


def _chain_outputs(node: orm.Node) -> dict:
    """{label: node} of the chi/alpha/model/bands a node leads to: a work chain's outputs, or the outputs and the
    model of the compute_susceptibility that created a chi or alpha node."""
    if isinstance(node, orm.WorkflowNode):
        return {link.link_label: link.node for link in node.base.links.get_outgoing().all()}
    creator = node.creator
    if creator is None:
        raise ValueError(
            f"Node {node.pk} ({type(node).__name__}) has no creator: give a chi or alpha node made by "
            "orbmag.compute_susceptibility, or a work chain."
        )
    found = {link.link_label: link.node for link in creator.base.links.get_outgoing().all()}
    if "tight_binding" in creator.inputs:
        found["tight_binding"] = creator.inputs.tight_binding
    return found


def _fermi_shift(outputs: dict) -> float | None:
    """The Fermi energy (eV) when chi's chemical potentials were asked relative to it, else None."""
    chi = outputs.get("chi")
    creator = chi.creator if chi is not None else None
    relative = False
    if creator is not None and "parameters" in creator.inputs:
        relative = bool(creator.inputs.parameters.get_dict().get("relative_to_fermi_energy"))
    model = outputs.get("tight_binding")
    return model.fermi_energy if relative and isinstance(model, TightBindingData) else None


def results_from_node(node: orm.Node) -> dict:
    """The dictionary of ``aiida-orbmag compute --json`` (what :mod:`aiida_orbmag.plots` draws) of a susceptibility
    chain or of its chi or alpha node, mu relative to E_F when the run asked for that."""
    outputs = _chain_outputs(node)
    if "chi" not in outputs or "alpha" not in outputs:
        raise ValueError(
            f"Node {node.pk} ({type(node).__name__}) leads to no chi and alpha: give a finished "
            "orbmag.susceptibility chain, or its chi or alpha node."
        )
    chi, alpha = outputs["chi"], outputs["alpha"]
    fermi = _fermi_shift(outputs)
    results = {
        "mu_eV": (chi.get_array("mu") - (fermi or 0.0)).tolist(),
        "temperature_K": chi.get_array("temperature").tolist(),
        "chi_nm_per_ohm": chi.get_array("chi").tolist(),
        "alpha_nA_nm_per_K": alpha.get_array("alpha").tolist(),
        "metadata": {"relative_to_fermi_energy": fermi is not None, "fermi_energy_eV": fermi, "node": chi.uuid},
    }
    if "chi_kmesh_error" in chi.get_arraynames():
        results["kmesh_error"] = {"chi_nm_per_ohm": chi.get_array("chi_kmesh_error").tolist()}
        if "alpha_kmesh_error" in alpha.get_arraynames():
            results["kmesh_error"]["alpha_nA_nm_per_K"] = alpha.get_array("alpha_kmesh_error").tolist()
    return results


def model_of_node(node: orm.Node) -> TightBindingData:
    """The tight-binding model of a chain, of a chi / alpha / lambda node, or the node itself."""
    if isinstance(node, TightBindingData):
        return node
    model = _chain_outputs(node).get("tight_binding")
    if model is None:
        raise ValueError(f"Node {node.pk} ({type(node).__name__}) leads to no tight-binding model.")
    return model


def lambda_map_of_node(node: orm.Node) -> orm.ArrayData | None:
    """The stored Lambda(k) map of a chain (its ``lambda_map`` output) or the map node itself; None if there is none."""
    if isinstance(node, orm.ArrayData) and "lambda" in node.get_arraynames():
        return node
    if isinstance(node, orm.WorkflowNode):
        return _chain_outputs(node).get("lambda_map")
    return None


def dft_bands_of_node(node: orm.Node) -> list[orm.BandsData]:
    """The DFT bands of a chain: on the NSCF grid (``band_structure``) and, if run, off it."""
    if not isinstance(node, orm.WorkflowNode):
        return []
    outputs = _chain_outputs(node)
    found = [outputs[label] for label in ("band_structure",) if label in outputs]
    wannierization = [link.node for link in node.base.links.get_outgoing(link_label_filter="wannierization").all()]
    for child in wannierization:
        if "check_bands" in child.outputs:
            found.append(child.outputs.check_bands)
    return found


def points_on_path(fractional: np.ndarray, path: dict, reciprocal: np.ndarray, tol: float = 1e-5) -> list[tuple]:
    """(distance along the path (1/Å), index into ``fractional``) of the k-points (nk, >=2, fractional) lying on a
    segment of ``path`` or on an image of it shifted by a reciprocal lattice vector."""
    found, offset = [], 0.0
    shifts = np.array([[i, j] for i in (-1, 0, 1) for j in (-1, 0, 1)], dtype=float)
    for start, stop in path["path"]:
        a, b = (np.asarray(path["point_coords"][label][:2], dtype=float) for label in (start, stop))
        direction = (b - a) @ reciprocal
        length = float(np.linalg.norm(direction))
        for index, k in enumerate(np.asarray(fractional)[:, :2]):
            for shift in shifts:
                vector = (k + shift - a) @ reciprocal
                t = float(vector @ direction) / length**2
                if -tol <= t <= 1 + tol and np.linalg.norm(vector - t * direction) < tol * max(1.0, length):
                    found.append((offset + t * length, index))
                    break
        offset += length
    return found
