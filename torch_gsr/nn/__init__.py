from .activation import resolve_activation
from .conv import ConnectomeGCNConv, gcn_norm_dense
from .sparse_conv import SparseConnectomeGCNConv, gcn_norm_sparse
from .pool import GraphPool, GraphUnpool, pool_dense_adj, pool_edges
from .edge_batch import EdgeBatch
from .unet import GraphUAutoencoder
from .gsr import GSRLayer
from .losses import eig_loss, hr_loss, rec_loss
from .models import (MODELS, DeepGSR, GCNStack, GSRAutoencoder, GSRLayerOnly,
                     GSRLoss, GSRModel, GSRNet, GSROutput, build_model)

__all__ = [
    'ConnectomeGCNConv', 'gcn_norm_dense', 'SparseConnectomeGCNConv',
    'gcn_norm_sparse', 'EdgeBatch', 'GraphPool', 'GraphUnpool',
    'pool_dense_adj', 'pool_edges', 'GraphUAutoencoder', 'GSRLayer',
    'GCNStack', 'resolve_activation', 'hr_loss', 'eig_loss', 'rec_loss',
    'GSRModel', 'GSRNet', 'GSRLayerOnly', 'DeepGSR', 'GSRAutoencoder',
    'GSROutput', 'GSRLoss', 'MODELS', 'build_model',
]
