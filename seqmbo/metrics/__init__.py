"""Metrics: normalized scores, diversity, novelty, library metrics, calibration."""

from seqmbo.metrics.distance import distance_matrix, mean_pairwise_distance, nearest_distance

__all__ = ["distance_matrix", "mean_pairwise_distance", "nearest_distance"]
