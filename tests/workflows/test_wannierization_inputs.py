"""What the Wannierization says of its windows: an isolated group frozen whole, a lowered window, overlapping bands."""

from aiida_orbmag.physics.disentanglement import WindowChoice
from aiida_orbmag.workflows.wannierization_inputs import window_messages


def _choice(**changes):
    values = dict(
        num_bands=8, num_wann=4, exclude_bands=(1, 2), dis_froz_max=0.79, frozen_window=(-3.0, 0.79),
        gap_below_manifold=27.0, frozen_window_lowered=False, gap_above_manifold=0.3,
    )  # fmt: skip
    return WindowChoice(**{**values, **changes})


def test_an_isolated_group_is_reported_as_frozen_whole():
    (message,) = window_messages(_choice())
    assert "0.300 eV under the next ones" in message and "takes them all" in message


def test_a_lowered_window_and_overlapping_excluded_bands_are_warnings():
    messages = window_messages(_choice(gap_above_manifold=-0.2, frozen_window_lowered=True, gap_below_manifold=-0.1))
    assert messages == [
        "warning: the excluded bands overlap the manifold by 0.100 eV",
        "warning: the frozen window was lowered to 0.790 eV to fit num_wann",
    ]
