r"""Evaluation metrics for predicted connectomes: elementwise metrics per
subject (:mod:`~torch_gsr.metrics.edges`), centrality errors
(:mod:`~torch_gsr.metrics.topology`), topological measures and their errors
(:mod:`~torch_gsr.metrics.graph_measures`,
:mod:`~torch_gsr.metrics.network_measures`,
:mod:`~torch_gsr.metrics.measure_errors`), the coverage and width of prediction
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
from .graph_measures import (
    binarize,
    clustering_coefficient,
    degree_centrality,
    eigenvector_centrality,
    graph_weights,
    node_strength,
    pagerank,
)
from .intervals import interval_coverage, interval_width
from .measure_errors import (
    TOPOLOGY_MEASURES,
    topology_errors,
    topology_measures,
)
from .network_measures import (
    betweenness_centrality,
    louvain_partition,
    participation_coefficient,
    small_worldness,
)
from .topology import CENTRALITIES, centrality_errors, node_centralities

__all__ = [
    'PROTOCOLS', 'CENTRALITIES', 'Evaluation', 'evaluate_predictions',
    'mean_squared_error', 'mean_absolute_error', 'pearson_correlation',
    'residual_pearson_correlation', 'jensen_shannon_distance',
    'node_centralities', 'centrality_errors', 'interval_coverage', 'interval_width',
    'TOPOLOGY_MEASURES', 'topology_measures', 'topology_errors', 'graph_weights',
    'binarize', 'node_strength', 'degree_centrality', 'clustering_coefficient',
    'eigenvector_centrality', 'pagerank', 'betweenness_centrality',
    'louvain_partition', 'participation_coefficient', 'small_worldness',
]
