"""Layers and models, laid out as PyG's: the contract every model keeps
(:mod:`.base`, :mod:`.registry`), convolutions (:mod:`.conv`), pooling
(:mod:`.pool`), the super-resolution layers and blocks (:mod:`.layers`),
closed-form maps (:mod:`.maps`), prediction intervals
(:mod:`.uncertainty`) and the models, one module per family
(:mod:`.models`); :data:`MODELS` names every model (each registers itself
with :func:`register_model` where it is defined)."""
from .activation import resolve_activation
from .base import SuperResolutionModel, preset_options
from .conv import (
    ConnectomeGCNConv,
    DenseTransformerConv,
    LineGraphMeanConv,
    LineGraphTransformerConv,
    SparseConnectomeGCNConv,
    complete_line_graph,
    gcn_norm_dense,
    gcn_norm_sparse,
)
from .edge_batch import EdgeBatch
from .layers import GraphUAutoencoder, GSRLayer, NodeMap
from .losses import eig_loss, hr_loss, rec_loss
from .maps import LocalRidgeMap, ParcelCovarianceMap, RidgeBlend, RidgeMap
from .models import (
    STPGSR,
    AGSRNet,
    DeepGSR,
    EnsembleGSR,
    GSRAutoencoder,
    GSRLayerOnly,
    GSRModel,
    GSRNet,
    NodeMapGSR,
)
from .models.agsr import PAPER_AGSR, RECOMMENDED_AGSR, AGSRConfig, AGSRLoss, NoisyGSRLayer
from .models.agsr_released import (
    ReleasedDiscriminator,
    ReleasedGSRLayer,
    ReleasedHead,
    ReleasedUAutoencoder,
    ScoredPool,
)
from .models.direct_sr import PAPER_DIRECT_SR, RECOMMENDED_DIRECT_SR, DirectSR, DirectSRConfig
from .models.ensemble import EnsembleConfig, EnsembleOutput
from .models.gsr_model import PAPER_GSR, RECOMMENDED_GSR, GCNStack, GSRConfig, GSRLoss, GSROutput
from .models.node_map_gsr import (
    PAPER_NODE_MAP,
    RECOMMENDED_NODE_MAP,
    NodeMapConfig,
    NodeMapOutput,
)
from .models.stp import PAPER_STP, RECOMMENDED_STP, STP_PAPER_FIT, STPConfig
from .pool import GraphPool, GraphUnpool, pool_dense_adj, pool_edges
from .registry import MODELS, build_model, import_plugin, load_plugins, register_model
from .uncertainty import ConformalIntervals

__all__ = [
    'load_plugins', 'import_plugin',
    'ConnectomeGCNConv', 'gcn_norm_dense', 'SparseConnectomeGCNConv',
    'gcn_norm_sparse', 'EdgeBatch', 'GraphPool', 'GraphUnpool',
    'pool_dense_adj', 'pool_edges', 'GraphUAutoencoder', 'GSRLayer',
    'GCNStack', 'resolve_activation', 'hr_loss', 'eig_loss', 'rec_loss',
    'SuperResolutionModel', 'preset_options', 'GSRModel', 'GSRNet', 'GSRLayerOnly',
    'DeepGSR', 'GSRAutoencoder', 'GSROutput', 'GSRLoss', 'MODELS', 'build_model',
    'register_model', 'NodeMap', 'NodeMapGSR', 'NodeMapOutput', 'RidgeMap', 'RidgeBlend',
    'LocalRidgeMap', 'ParcelCovarianceMap',
    'AGSRNet', 'AGSRLoss', 'NoisyGSRLayer', 'STPGSR', 'DenseTransformerConv',
    'LineGraphTransformerConv', 'complete_line_graph', 'LineGraphMeanConv',
    'ReleasedGSRLayer', 'ReleasedUAutoencoder', 'ReleasedHead', 'ReleasedDiscriminator',
    'ScoredPool',
    'EnsembleGSR', 'EnsembleConfig', 'EnsembleOutput', 'ConformalIntervals',
    'GSRConfig', 'AGSRConfig', 'STPConfig', 'NodeMapConfig',
    'PAPER_GSR', 'RECOMMENDED_GSR', 'PAPER_AGSR', 'RECOMMENDED_AGSR',
    'PAPER_STP', 'RECOMMENDED_STP', 'STP_PAPER_FIT', 'PAPER_NODE_MAP', 'RECOMMENDED_NODE_MAP',
    'DirectSR', 'DirectSRConfig', 'PAPER_DIRECT_SR', 'RECOMMENDED_DIRECT_SR',
]

# Bi-SR and DEFEND (Singh & Rekik, arXiv:2511.08853).
from .conv import BipartiteTransformerConv  # noqa: E402
from .models import DEFEND, BiSR  # noqa: E402
from .models.bi_sr import (  # noqa: E402
    BI_SR_PAPER_FIT,
    PAPER_BI_SR,
    RECOMMENDED_BI_SR,
    BipartiteInitializer,
    BiSRConfig,
)
from .models.defend import PAPER_DEFEND, RECOMMENDED_DEFEND, DEFENDConfig  # noqa: E402

__all__ += [
    'BiSR', 'BiSRConfig', 'PAPER_BI_SR', 'RECOMMENDED_BI_SR', 'BI_SR_PAPER_FIT',
    'BipartiteInitializer', 'BipartiteTransformerConv',
    'DEFEND', 'DEFENDConfig', 'PAPER_DEFEND', 'RECOMMENDED_DEFEND',
]
