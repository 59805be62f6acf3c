r"""Evaluation metrics for predicted connectomes: elementwise metrics per
subject (:mod:`~torch_gsr.metrics.edges`), centrality errors
(:mod:`~torch_gsr.metrics.topology`), the coverage and width of prediction
intervals (:mod:`~torch_gsr.metrics.intervals`) and :func:`evaluate_predictions` under
the ``"subject"`` or the challenge's ``"challenge"`` protocol
(:mod:`~torch_gsr.metrics.evaluation`; how the two differ:
``docs/metrics.md``)."""
from .edges import (
    jensen_shannon_distance,
    mean_absolute_error,
    mean_squared_error,
    pearson_correlation,
    residual_pearson_correlation,
)
from .evaluation import PROTOCOLS, Evaluation, evaluate_predictions
from .intervals import interval_coverage, interval_width
from .topology import CENTRALITIES, centrality_errors, node_centralities

__all__ = [
    'PROTOCOLS', 'CENTRALITIES', 'Evaluation', 'evaluate_predictions',
    'mean_squared_error', 'mean_absolute_error', 'pearson_correlation',
    'residual_pearson_correlation', 'jensen_shannon_distance',
    'node_centralities', 'centrality_errors', 'interval_coverage', 'interval_width',
]
