"""Layers and models: GCNs on weighted connectomes (dense and sparse), graph
pooling, the Graph U-Autoencoder, the GSR layer, GSR-Net and its variants,
NodeMapGSR, AGSR-Net and STP-GSR; :data:`MODELS` names every model."""
from .activation import resolve_activation
from .agsr import AGSRLoss, AGSRNet, NoisyGSRLayer
from .base import SuperResolutionModel
from .conv import ConnectomeGCNConv, gcn_norm_dense
from .dense_transformer_conv import DenseTransformerConv
from .edge_batch import EdgeBatch
from .gsr import GSRLayer
from .line_graph import LineGraphTransformerConv, complete_line_graph
from .losses import eig_loss, hr_loss, rec_loss
from .models import (
                     MODELS,
                     DeepGSR,
                     GCNStack,
                     GSRAutoencoder,
                     GSRLayerOnly,
                     GSRLoss,
                     GSRModel,
                     GSRNet,
                     GSROutput,
                     build_model,
)
from .node_map import NodeMap
from .node_map_gsr import NodeMapGSR, NodeMapOutput
from .pool import GraphPool, GraphUnpool, pool_dense_adj, pool_edges
from .ridge import RidgeBlend, RidgeMap
from .sparse_conv import SparseConnectomeGCNConv, gcn_norm_sparse
from .stp import STPGSR
from .unet import GraphUAutoencoder

# Models in their own files build on GSRModel, so models.py cannot import
# them: they are registered here, after it.
MODELS.update({cls.__name__: cls for cls in (NodeMapGSR, AGSRNet, STPGSR)})

from .conformal import ConformalIntervals  # noqa: E402 (needs MODELS filled)
from .ensemble import EnsembleGSR, EnsembleOutput  # noqa: E402

MODELS['EnsembleGSR'] = EnsembleGSR

__all__ = [
    'ConnectomeGCNConv', 'gcn_norm_dense', 'SparseConnectomeGCNConv',
    'gcn_norm_sparse', 'EdgeBatch', 'GraphPool', 'GraphUnpool',
    'pool_dense_adj', 'pool_edges', 'GraphUAutoencoder', 'GSRLayer',
    'GCNStack', 'resolve_activation', 'hr_loss', 'eig_loss', 'rec_loss',
    'SuperResolutionModel', 'GSRModel', 'GSRNet', 'GSRLayerOnly', 'DeepGSR', 'GSRAutoencoder',
    'GSROutput', 'GSRLoss', 'MODELS', 'build_model',
    'NodeMap', 'NodeMapGSR', 'NodeMapOutput', 'RidgeMap', 'RidgeBlend',
    'AGSRNet', 'AGSRLoss', 'NoisyGSRLayer', 'STPGSR', 'DenseTransformerConv',
    'LineGraphTransformerConv', 'complete_line_graph',
    'EnsembleGSR', 'EnsembleOutput', 'ConformalIntervals',
]
