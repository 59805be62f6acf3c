from .conv import ConnectomeGCNConv, gcn_norm_dense
from .pool import GraphPool, GraphUnpool
from .unet import GraphUAutoencoder
from .gsr import GSRLayer
from .losses import eig_loss, hr_loss, rec_loss
from .models import (MODELS, DeepGSR, GCNStack, GSRAutoencoder, GSRLayerOnly,
                     GSRLoss, GSRModel, GSRNet, GSROutput, build_model)
from .node_map import NodeMap
from .node_map_gsr import NodeMapGSR, NodeMapOutput

__all__ = [
    'ConnectomeGCNConv', 'gcn_norm_dense', 'GraphPool', 'GraphUnpool',
    'GraphUAutoencoder', 'GSRLayer', 'GCNStack', 'hr_loss', 'eig_loss',
    'rec_loss', 'GSRModel', 'GSRNet', 'GSRLayerOnly', 'DeepGSR',
    'GSRAutoencoder', 'GSROutput', 'GSRLoss', 'MODELS', 'build_model',
    'NodeMap', 'NodeMapGSR', 'NodeMapOutput',
]
