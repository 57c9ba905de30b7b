"""Datasets: the offline table, the registry of public datasets, readers and writers."""

from seqmbo.data.dataset import Dataset

__all__ = ["Dataset"]
