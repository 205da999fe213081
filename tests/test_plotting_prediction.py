"""Tests for dlpy.plotting.tensors.plot_prediction (section 2.1): the bars
are the probabilities given, coloured by answer and label, and bad input
is refused with a clear message."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgba

from dlpy.plotting import tensors
from dlpy.plotting.style import COLORS

pytestmark = pytest.mark.usefixtures("close_figures")


def _probabilities(answer, second):
    p = np.full(10, 0.02)
    p[answer], p[second] = 0.6, 0.24
    return p


def test_bars_are_the_probabilities_and_the_image_is_shown():
    image = np.random.default_rng(0).integers(0, 256, (28, 28), np.uint8)
    p = _probabilities(6, 5)
    fig = tensors.plot_prediction(image, p, label=5)
    digit_ax, bar_ax = fig.axes
    np.testing.assert_array_equal(digit_ax.images[0].get_array(), image)
    assert digit_ax.get_title() == "label: 5"
    heights = [bar.get_height() for bar in bar_ax.patches]
    np.testing.assert_allclose(heights, p)
    assert [bar.get_gid() for bar in bar_ax.patches] == [
        f"class-{i}" for i in range(10)]
    plt.close(fig)


def test_a_wrong_answer_shows_answer_and_label_in_their_colours():
    fig = tensors.plot_prediction(np.zeros((4, 4)), _probabilities(6, 5),
                                  label=5)
    bars = fig.axes[1].patches
    assert bars[6].get_facecolor() == to_rgba(COLORS["primary"])
    assert bars[5].get_facecolor() == to_rgba(COLORS["secondary"])
    assert bars[0].get_facecolor() == to_rgba(COLORS["muted"])
    plt.close(fig)


def test_a_right_answer_has_one_highlighted_bar():
    fig = tensors.plot_prediction(np.zeros((4, 4)), _probabilities(3, 8),
                                  label=3)
    colours = [bar.get_facecolor() for bar in fig.axes[1].patches]
    assert colours[3] == to_rgba(COLORS["primary"])
    assert colours.count(to_rgba(COLORS["muted"])) == 9
    plt.close(fig)


def test_percentages_are_written_on_bars_of_at_least_one_percent():
    p = np.zeros(10)
    p[[2, 7, 9]] = [0.9, 0.09, 0.005]
    fig = tensors.plot_prediction(np.zeros((4, 4)), p, label=2)
    texts = {t.get_text() for t in fig.axes[1].texts}
    assert texts == {"90%", "9%"}  # 0.5% is left unlabelled
    plt.close(fig)


@pytest.mark.parametrize("probabilities, label, message", [
    (np.full((2, 10), 0.1), 0, "plot_prediction: probabilities must be a "
     r"rank-1 array, one per class. Received: probabilities.shape=\(2, 10\)"),
    (np.full(10, 0.1), 10, "plot_prediction: label must be a class index "
     "below 10. Received: label=10"),
    (np.full(10, 0.1), -1, "plot_prediction: label must be a class index "
     "below 10. Received: label=-1"),
])
def test_bad_input_is_refused_with_a_clear_message(probabilities, label,
                                                   message):
    with pytest.raises(ValueError, match=message):
        tensors.plot_prediction(np.zeros((4, 4)), probabilities, label)
