"""Matplotlib helpers for every figure the chapters draw.

Importing ``dlpy.plotting`` loads Matplotlib; ``import dlpy`` does not. The
helpers live in topic modules, imported explicitly::

    from dlpy.plotting import calculus, concepts, geometry, graphs, tensors
"""

from dlpy.plotting.style import COLORS, new_figure

__all__ = ["COLORS", "new_figure"]
