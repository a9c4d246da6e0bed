"""Band counts and frozen windows chosen from band energies (synthetic bands with known answers)."""

import numpy as np
import pytest

from aiida_orbmag.physics.disentanglement import (
    FROZEN_SAFETY_EV,
    ISOLATION_GAP_EV,
    choose_windows,
    frozen_window_deviation,
)


def _bands():
    """8 k-points, 10 bands: 2 flat semicore bands at -30 eV, a 4-band manifold from -3 to 0.5 eV, and 4 overlapping
    bands from 1.5 eV up; the 7th band (index 6) dips to 0.8 eV at one k-point."""
    k = np.linspace(0, 1, 8)[:, None]
    semicore = np.full((8, 2), -30.0) + 0.01 * np.arange(2)
    manifold = np.array([-3.0, -2.0, -1.0, 0.0]) + 0.5 * np.sin(np.pi * k)
    upper = np.array([1.5, 2.0, 3.0, 4.0]) + 1.2 * np.sin(np.pi * k)
    upper[3, 0] = 0.8
    return np.concatenate([semicore, manifold, upper], axis=1)


def test_frozen_window_reaches_margin_when_it_fits():
    choice = choose_windows(_bands(), fermi_energy=-0.5, num_wann=6, num_excluded=2, frozen_margin=1.0)
    assert choice.num_bands == 8 and choice.exclude_bands == (1, 2)
    assert choice.dis_froz_max == pytest.approx(0.5) and not choice.frozen_window_lowered
    assert choice.gap_below_manifold == pytest.approx(-3.0 - (-30.0 + 0.01))
    assert choice.wannier90_parameters() == {"num_bands": 8, "num_wann": 6, "exclude_bands": "1-2", "dis_froz_max": 0.5}


def test_frozen_window_is_lowered_below_the_overfilling_state():
    # with 4 Wannier functions the 5th manifold state (1.5 eV, 0.3 eV at one k: inside the range of the 4th band, so
    # the group is not isolated) must stay out of the frozen window
    bands = _bands()
    bands[3, 6] = 0.3
    choice = choose_windows(bands, fermi_energy=0.5, num_wann=4, num_excluded=2, frozen_margin=1.0)
    assert choice.frozen_window_lowered and choice.gap_above_manifold < ISOLATION_GAP_EV
    fifth_state = np.sort(bands, axis=1)[:, 6]  # the 4th band's state at k 3 is now the 5th there
    assert choice.dis_froz_max == pytest.approx(fifth_state.min() - FROZEN_SAFETY_EV)
    inside = (np.sort(bands, axis=1)[:, 2:] <= choice.dis_froz_max).sum(axis=1)
    assert inside.max() <= 4


def test_an_isolated_group_is_frozen_whole_whatever_the_margin():
    # the 4 lowest manifold bands (up to 0.5 eV) lie 0.3 eV under the next state (0.8 eV at one k): a margin of 0.5 eV
    # above E_F = -2.5 eV would freeze two of them only; the whole group is frozen instead, up to the next state
    choice = choose_windows(_bands(), fermi_energy=-2.5, num_wann=4, num_excluded=2, frozen_margin=0.5)
    assert choice.gap_above_manifold == pytest.approx(0.8 - 0.5 * np.sin(3 * np.pi / 7))
    assert choice.dis_froz_max == pytest.approx(0.8 - FROZEN_SAFETY_EV) and not choice.frozen_window_lowered
    inside = (_bands()[:, 2:] <= choice.dis_froz_max).sum(axis=1)
    assert inside.min() == inside.max() == 4


def test_isolated_manifold_needs_no_window():
    choice = choose_windows(_bands()[:, :6], fermi_energy=-0.5, num_wann=4, num_excluded=2, frozen_margin=1.0)
    assert choice.dis_froz_max is None and "dis_froz_max" not in choice.wannier90_parameters()
    assert choice.frozen_window == pytest.approx((-3.0, _bands()[:, 5].max()))


def test_too_few_bands_says_compute_more():
    with pytest.raises(ValueError, match="compute more bands"):
        choose_windows(_bands(), fermi_energy=-0.5, num_wann=9, num_excluded=2, frozen_margin=1.0)


def test_deviation_matches_each_state_to_the_nearest_eigenvalue():
    dft = np.array([[-1.0, 0.0, 2.0], [-1.0, 0.5, 3.0]])
    wannier = np.array([[-1.001, 0.002], [-0.999, 0.45]])
    deviation, count = frozen_window_deviation(dft, wannier, (-2.0, 1.0))
    assert count == 4 and deviation == pytest.approx(0.05)
    deviation, count = frozen_window_deviation(dft, wannier, (5.0, 6.0))
    assert count == 0 and np.isnan(deviation)


def test_isolated_manifold_is_compared_band_by_band_where_the_window_would_take_in_the_next_one():
    """Two model bands above one excluded band; off the grid the next DFT band dips into a window that ended under it
    on the grid. Matching every state in the window to the nearest model state counts that band (0.5 eV off);
    band by band the manifold is compared with its own two states (1e-3 eV)."""
    from aiida_orbmag.physics.disentanglement import excluded_count, frozen_window_deviation, manifold_deviation

    dft = np.array([[-5.0, -1.0, 0.0, 0.8], [-5.0, -1.001, 0.0, 0.5]])  # k on the grid, k off it
    wannier = np.array([[-1.0, 0.0], [-1.0, 0.0]])
    window = (-1.5, 0.7)  # up to just under the next band on the grid
    assert frozen_window_deviation(dft, wannier, window)[0] == pytest.approx(0.5)
    assert manifold_deviation(dft, wannier, excluded_count("1-1")) == pytest.approx(1e-3)
    assert excluded_count(None) == 0 and excluded_count("1-56") == 56
    with pytest.raises(ValueError, match="expected '1-N'"):
        excluded_count("3-5")
    with pytest.raises(ValueError, match="not all there"):
        manifold_deviation(dft, wannier, 3)
