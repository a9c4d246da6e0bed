"""The conventions of an orbital-response calculation, with their defaults written once.

These are the choices that change the numbers (unlike the execution settings of :mod:`aiida_orbmag.physics.plan`,
which give the same numbers to round-off). Every entry point takes one :class:`Conventions`: the susceptibility
(:func:`~aiida_orbmag.physics.response.compute_susceptibility`), the k-resolved Lambda map
(:func:`~aiida_orbmag.physics.response.lambda_map`), the Chern number
(:func:`~aiida_orbmag.physics.topology.chern_number`), the Fourier interpolation
(:class:`~aiida_orbmag.physics.fourier.FourierInterpolator`), the calcfunction's parameter parser and the CLI.

- ``bloch_convention``: Bloch phases with the Wannier centres (``"I"``) or without (``"II"``), see
  :mod:`aiida_orbmag.physics.fourier`;
- ``position_operator``: the full Wannier position matrix r_ab(R) (``"full"``, Wang et al. PRB 74, 195118 (2006)) or
  the tight-binding approximation r_ab(R) = delta_ab delta_R0 tau_a (``"diagonal"``);
- ``metric_form``: the metric term (e/2hbar) eps_jl d_j G_il of Lambda (Xiao et al. PRB 103, 045401 (2021), Eq. 11)
  integrated per k (``"analytic"``) or on the Fermi surface after integration by parts (``"fermi_surface"``), see
  :mod:`aiida_orbmag.physics.response`;
- ``degeneracy_tol`` (eV): bands closer than this form one degenerate cluster (:mod:`aiida_orbmag.physics.bands`);
- ``max_out_of_plane_hopping`` (eV): the largest hopping along a3 accepted as a 2D model and folded in at k_z = 0
  (:meth:`~aiida_orbmag.physics.model.TightBindingModel.check_two_dimensional`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

BLOCH_CONVENTIONS = ("I", "II")
POSITION_OPERATORS = ("full", "diagonal")
METRIC_FORMS = ("analytic", "fermi_surface")
#: Degenerate-cluster width (eV): above the round-off of eigh on H(k) of a few eV, far below any physical splitting.
DEFAULT_DEGENERACY_TOL_EV = 1e-5
#: Largest hopping along a3 (eV) of a 2D model: a slab's vacuum leaves hoppings across it far below this.
DEFAULT_MAX_OUT_OF_PLANE_HOPPING_EV = 1e-3


@dataclasses.dataclass(frozen=True)
class Conventions:
    """Bloch convention, position operator, metric-term form, degeneracy tolerance (eV), out-of-plane hopping
    limit (eV); validated on construction (ValueError with what to change)."""

    bloch_convention: str = "I"
    position_operator: str = "full"
    metric_form: str = "analytic"
    degeneracy_tol: float = DEFAULT_DEGENERACY_TOL_EV
    max_out_of_plane_hopping: float = DEFAULT_MAX_OUT_OF_PLANE_HOPPING_EV

    def __post_init__(self):
        if self.bloch_convention not in BLOCH_CONVENTIONS:
            raise ValueError(
                f"Unknown Bloch phase convention {self.bloch_convention!r}; use one of {BLOCH_CONVENTIONS}."
            )
        if self.position_operator not in POSITION_OPERATORS:
            raise ValueError(f"Unknown position operator {self.position_operator!r}; use one of {POSITION_OPERATORS}.")
        if self.metric_form not in METRIC_FORMS:
            raise ValueError(f"Unknown metric form {self.metric_form!r}; use one of {METRIC_FORMS}.")
        for name in ("degeneracy_tol", "max_out_of_plane_hopping"):
            value = getattr(self, name)
            number = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
            if not number or not value >= 0:
                raise ValueError(f"The {name} must be a non-negative energy in eV, got {value!r}.")
            if not np.isfinite(value):
                raise ValueError(f"The {name} must be a finite energy in eV, got {value!r}.")

    def replace(self, **changes) -> Conventions:
        """A copy with ``changes`` (validated again)."""
        return dataclasses.replace(self, **changes)

    def check_model(self, model) -> None:
        """ValueError unless ``model`` (a :class:`~aiida_orbmag.physics.model.TightBindingModel`) can be used with
        these conventions: a 2D crystal within ``max_out_of_plane_hopping``, and a position matrix r(R) for the full
        position operator."""
        model.check_two_dimensional(self.max_out_of_plane_hopping)
        self.check_position_matrix(model)

    def check_position_matrix(self, model) -> None:
        """ValueError when the full position operator is asked of a model without r(R)."""
        if self.position_operator == "full" and not model.has_position:
            raise ValueError(
                "The full position operator needs the Wannier position matrix r(R), which this model lacks (it was "
                "built from H(R) and centres only). Read seedname_tb.dat instead, or choose the diagonal-position "
                "(tight-binding) approximation explicitly."
            )

    def as_settings(self) -> dict:
        """The JSON-friendly record of a result's ``settings`` (keys as stored in results since version 0.1)."""
        return {
            "degeneracy_tol_eV": self.degeneracy_tol,
            "bloch_convention": self.bloch_convention,
            "position_operator": self.position_operator,
            "metric_form": self.metric_form,
        }


#: The defaults, for signatures: ``conventions: Conventions = DEFAULT_CONVENTIONS``.
DEFAULT_CONVENTIONS = Conventions()
