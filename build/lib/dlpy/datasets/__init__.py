"""Datasets the book trains on, loaded offline.

Only MNIST for now: :func:`dlpy.datasets.mnist.load_data` returns the same
arrays as ``keras.datasets.mnist.load_data()`` without needing the internet.
Introduced in section 2.1.
"""

from dlpy.datasets import mnist

__all__ = ["mnist"]
