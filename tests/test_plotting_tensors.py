"""Tests for dlpy.plotting.tensors: what each figure draws, and bad input."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from dlpy.plotting import tensors


pytestmark = pytest.mark.usefixtures("close_figures")


def _patches(ax, gid):
    return [patch for patch in ax.patches if patch.get_gid() == gid]


def test_plot_digit_shows_the_array_itself():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(28, 28), dtype=np.uint8)
    fig = tensors.plot_digit(image, label=9)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    (shown,) = ax.images
    np.testing.assert_array_equal(shown.get_array(), image)
    assert ax.get_title() == "label: 9"
    plt.close(fig)


def test_plot_digit_without_label_has_no_title():
    fig = tensors.plot_digit(np.zeros((5, 7)))
    assert fig.axes[0].get_title() == ""
    assert fig.axes[0].images[0].get_array().shape == (5, 7)
    plt.close(fig)


def _colour_of(image_artist, value):
    return tuple(image_artist.cmap(image_artist.norm(value)))


WHITE, BLACK = (1.0, 1.0, 1.0, 1.0), (0.0, 0.0, 0.0, 1.0)


@pytest.mark.parametrize("draw", [
    lambda image: tensors.plot_digit(image),
    lambda image: tensors.plot_digits(image[None]),
    lambda image: tensors.plot_crops([image], ["crop"]),
])
def test_pixels_are_ink_on_paper_on_a_fixed_scale(draw):
    # A faint crop (max 100) must not be stretched to full black.
    image = np.zeros((14, 14), dtype=np.uint8)
    image[3:6, 3:6] = 100
    fig = draw(image)
    (shown,) = fig.axes[0].images
    assert _colour_of(shown, 0) == pytest.approx(WHITE)
    assert _colour_of(shown, 255) == pytest.approx(BLACK)
    assert _colour_of(shown, 100) != pytest.approx(BLACK)
    plt.close(fig)


def test_images_scaled_to_one_use_the_unit_scale():
    fig = tensors.plot_digit(np.full((4, 4), 0.5))
    (shown,) = fig.axes[0].images
    assert _colour_of(shown, 0.0) == pytest.approx(WHITE)
    assert _colour_of(shown, 1.0) == pytest.approx(BLACK)
    plt.close(fig)


def test_plot_digits_one_axes_per_image_in_order():
    images = np.arange(3 * 4 * 4).reshape(3, 4, 4)
    fig = tensors.plot_digits(images, labels=[7, 2, 1], ncols=2)
    assert len(fig.axes) == 3  # the fourth grid cell is removed
    for ax, image, label in zip(fig.axes, images, [7, 2, 1]):
        np.testing.assert_array_equal(ax.images[0].get_array(), image)
        assert ax.get_title() == str(label)
    plt.close(fig)


def test_plot_crops_keeps_one_pixel_scale():
    digit = np.arange(28 * 28).reshape(28, 28)
    corner = digit[14:, 14:]
    fig = tensors.plot_crops([digit, corner], ["digit", "corner"])
    big, small = fig.axes
    np.testing.assert_array_equal(small.images[0].get_array(), corner)
    assert small.get_title() == "corner\nshape (14, 14)"
    # Both panels span 28 pixels, so the crop is drawn at half the width.
    for ax in (big, small):
        low, high = ax.get_xlim()
        assert high - low == pytest.approx(28)
    plt.close(fig)


def test_plot_tensor_ranks_draws_one_cell_per_entry():
    ranks = [np.array(5), np.arange(4), np.arange(6).reshape(2, 3),
             np.arange(12).reshape(2, 2, 3)]
    fig = tensors.plot_tensor_ranks(ranks)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["rank 0: shape ()", "rank 1: shape (4,)",
                      "rank 2: shape (2, 3)", "rank 3: shape (2, 2, 3)"]
    counts = [len(ax.patches) for ax in fig.axes]
    assert counts == [1, 4, 6, 12]
    # Values are written in the cells (the front matrix for rank 3).
    texts = sorted(int(t.get_text()) for t in fig.axes[2].texts)
    assert texts == list(range(6))
    front = sorted(int(t.get_text()) for t in fig.axes[3].texts)
    assert front == list(range(6))
    plt.close(fig)


def _ellipses(ax):
    return [line for line in ax.lines if line.get_gid() == "ellipsis"]


def test_plot_data_layouts_titles_and_stacks():
    fig = tensors.plot_data_layouts([
        ("vector data", (100000, 3), ("samples", "features")),
        ("timeseries", (250, 390, 3), ("samples", "timesteps", "features")),
        ("images", (128, 256, 256, 3),
         ("samples", "height", "width", "channels")),
        ("video", (4, 240, 144, 256, 3),
         ("samples", "frames", "height", "width", "channels")),
    ])
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[1] == "timeseries\nshape (250, 390, 3)"
    # Each block is 3 patches (front, top, side). A rectangle; one block;
    # 3 of the 128 images, then dots; all 4 clips, each 3 of 240 frames
    # and dots.
    blocks = [len(_patches(ax, "block")) for ax in fig.axes]
    assert blocks == [1, 3, 3 * 3, 4 * 3 * 3]
    assert [len(_ellipses(ax)) for ax in fig.axes] == [0, 0, 1, 4]
    labels = " ".join(t.get_text() for t in fig.axes[3].texts)
    for word in ("frames: 240", "samples: 4", "channels: 3"):
        assert word in labels
    plt.close(fig)


@pytest.mark.parametrize("samples", [1, 2, 3, 4])
def test_plot_data_layouts_draws_every_clip_of_a_small_batch(samples):
    shape = (samples, 2, 8, 8, 3)
    fig = tensors.plot_data_layouts(
        [("video", shape, ("samples", "frames", "height", "width",
                           "channels"))])
    (ax,) = fig.axes
    # samples clips of 2 frames of 3 patches each, nothing left out.
    assert len(_patches(ax, "block")) == samples * 2 * 3
    assert _ellipses(ax) == []
    plt.close(fig)


def test_plot_data_layouts_marks_what_it_leaves_out():
    fig = tensors.plot_data_layouts(
        [("video", (5, 60, 8, 8, 3),
          ("samples", "frames", "height", "width", "channels"))])
    (ax,) = fig.axes
    # 3 of 5 clips, 3 of 60 frames each; dots after every stack and after
    # the row of clips, three dots each.
    assert len(_patches(ax, "block")) == 3 * 3 * 3
    dots = _ellipses(ax)
    assert len(dots) == 3 + 1
    assert all(len(line.get_xdata()) == 3 for line in dots)
    # The row's dots come after the last clip drawn.
    fronts = [p for p in _patches(ax, "block")
              if isinstance(p, plt.Rectangle)]
    rightmost = max(p.get_x() + p.get_width() for p in fronts)
    assert min(dots[-1].get_xdata()) > rightmost
    plt.close(fig)


def test_plot_matmul_boxes_sides_line_up():
    fig = tensors.plot_matmul_boxes((3, 4), (4, 2), row=1, col=1)
    (ax,) = fig.axes
    assert ax.get_title() == "x @ y: (3, 4) @ (4, 2) -> (3, 2)"
    (x,), (y,), (z,) = (_patches(ax, gid) for gid in ("x", "y", "z"))
    # x's width matches y's height; z takes x's height and y's width.
    assert x.get_width() == pytest.approx(y.get_height())
    assert z.get_height() == pytest.approx(x.get_height())
    assert z.get_width() == pytest.approx(y.get_width())
    assert x.get_height() / x.get_width() == pytest.approx(3 / 4)
    (entry,) = _patches(ax, "z_entry")
    # The shaded entry sits in column 1 and row 1 of z.
    unit = z.get_width() / 2
    assert entry.get_x() == pytest.approx(z.get_x() + unit)
    assert entry.get_y() == pytest.approx(z.get_y() + z.get_height()
                                          - 2 * unit)
    plt.close(fig)


def test_plot_matmul_boxes_vector_operands():
    fig = tensors.plot_matmul_boxes((3, 4), (4,))
    assert fig.axes[0].get_title() == "x @ y: (3, 4) @ (4,) -> (3,)"
    plt.close(fig)


BAD_INPUTS = [
    (tensors.plot_digit, (np.zeros((2, 28, 28)),), ValueError,
     "plot_digit: image must be a rank-2 array (height, width). "
     "Received: image.shape=(2, 28, 28)"),
    (tensors.plot_digit, (np.array([["a", "b"]]),), TypeError,
     "plot_digit: image must hold integers or floats. "
     "Received: image.dtype=<U1"),
    (tensors.plot_crops, ([np.zeros(4)], ["a"]), ValueError,
     "plot_crops: images[0] must be a rank-2 array (height, width). "
     "Received: images[0].shape=(4,)"),
    (tensors.plot_matmul_boxes, ((3, 4), (5, 2)), ValueError,
     "plot_matmul_boxes: the last axis of x must match the first axis "
     "of y. Received: x_shape=(3, 4), y_shape=(5, 2)"),
]


def test_bad_input_is_refused_with_a_clear_message(bad_input):
    bad_input.check()
