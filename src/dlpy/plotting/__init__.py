"""How the figures are drawn: one module per part of the book.

Importing ``dlpy.plotting`` loads Matplotlib; ``import dlpy`` does not. The
book calls these helpers and glues what they return; they trust their
caller, and check only what Matplotlib would otherwise report cryptically::

    from dlpy.plotting import calculus, concepts, geometry, graphs, tensors
"""

from dlpy.plotting.style import COLORS, new_figure

__all__ = ["COLORS", "new_figure"]
