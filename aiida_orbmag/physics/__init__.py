"""Pure numpy/scipy physics core: no aiida import below this package.

The entry points most users need::

    from aiida_orbmag.physics import compute_susceptibility, lambda_map, TightBindingModel, Conventions, Execution
"""

from .conventions import Conventions
from .model import TightBindingModel, model_from_hoppings
from .mott import mott_alpha, sommerfeld_alpha_over_t
from .plan import Execution
from .response import LambdaMap, SusceptibilityResult, compute_susceptibility, lambda_map

__all__ = [
    "Conventions",
    "Execution",
    "LambdaMap",
    "SusceptibilityResult",
    "TightBindingModel",
    "compute_susceptibility",
    "lambda_map",
    "model_from_hoppings",
    "mott_alpha",
    "sommerfeld_alpha_over_t",
]
