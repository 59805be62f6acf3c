"""Layers and models: GCNs on weighted connectomes (dense and sparse), graph
pooling, the Graph U-Autoencoder, the GSR layer, GSR-Net and its variants,
NodeMapGSR, AGSR-Net, STP-GSR and ensembles of them; :data:`MODELS` names every model (each
registers itself with :func:`register_model` where it is defined)."""
from .activation import resolve_activation
from .agsr import (
    PAPER_AGSR,
    RECOMMENDED_AGSR,
    AGSRConfig,
    AGSRLoss,
    AGSRNet,
    NoisyGSRLayer,
    ReleasedGSRLayer,
)
from .agsr_released import ReleasedDiscriminator, ReleasedHead, ReleasedUAutoencoder, ScoredPool
from .base import SuperResolutionModel, preset_options
from .conformal import ConformalIntervals
from .conv import ConnectomeGCNConv, gcn_norm_dense
from .dense_transformer_conv import DenseTransformerConv
from .edge_batch import EdgeBatch
from .ensemble import EnsembleConfig, EnsembleGSR, EnsembleOutput
from .gsr import GSRLayer
from .gsr_model import PAPER_GSR, RECOMMENDED_GSR, GCNStack, GSRConfig, GSRLoss, GSRModel, GSROutput
from .line_graph import LineGraphTransformerConv, complete_line_graph
from .line_graph_mean_conv import LineGraphMeanConv
from .local_ridge import LocalRidgeMap
from .losses import eig_loss, hr_loss, rec_loss
from .models import DeepGSR, GSRAutoencoder, GSRLayerOnly, GSRNet
from .node_map import NodeMap
from .node_map_gsr import (
    PAPER_NODE_MAP,
    RECOMMENDED_NODE_MAP,
    NodeMapConfig,
    NodeMapGSR,
    NodeMapOutput,
)
from .pool import GraphPool, GraphUnpool, pool_dense_adj, pool_edges
from .registry import MODELS, build_model, import_plugin, load_plugins, register_model
from .ridge import RidgeBlend, RidgeMap
from .sparse_conv import SparseConnectomeGCNConv, gcn_norm_sparse
from .stp import PAPER_STP, RECOMMENDED_STP, STP_PAPER_FIT, STPGSR, STPConfig
from .unet import GraphUAutoencoder

__all__ = [
    'load_plugins', 'import_plugin',
    'ConnectomeGCNConv', 'gcn_norm_dense', 'SparseConnectomeGCNConv',
    'gcn_norm_sparse', 'EdgeBatch', 'GraphPool', 'GraphUnpool',
    'pool_dense_adj', 'pool_edges', 'GraphUAutoencoder', 'GSRLayer',
    'GCNStack', 'resolve_activation', 'hr_loss', 'eig_loss', 'rec_loss',
    'SuperResolutionModel', 'preset_options', 'GSRModel', 'GSRNet', 'GSRLayerOnly',
    'DeepGSR', 'GSRAutoencoder', 'GSROutput', 'GSRLoss', 'MODELS', 'build_model',
    'register_model', 'NodeMap', 'NodeMapGSR', 'NodeMapOutput', 'RidgeMap', 'RidgeBlend',
    'LocalRidgeMap',
    'AGSRNet', 'AGSRLoss', 'NoisyGSRLayer', 'STPGSR', 'DenseTransformerConv',
    'LineGraphTransformerConv', 'complete_line_graph', 'LineGraphMeanConv',
    'ReleasedGSRLayer', 'ReleasedUAutoencoder', 'ReleasedHead', 'ReleasedDiscriminator',
    'ScoredPool',
    'EnsembleGSR', 'EnsembleConfig', 'EnsembleOutput', 'ConformalIntervals',
    'GSRConfig', 'AGSRConfig', 'STPConfig', 'NodeMapConfig',
    'PAPER_GSR', 'RECOMMENDED_GSR', 'PAPER_AGSR', 'RECOMMENDED_AGSR',
    'PAPER_STP', 'RECOMMENDED_STP', 'STP_PAPER_FIT', 'PAPER_NODE_MAP', 'RECOMMENDED_NODE_MAP',
]
