r"""The super-resolution layers and blocks: the GSR layer, the node map and
the Graph U-Autoencoder."""
from .gsr import GSRLayer
from .node_map import NodeMap
from .unet import GraphUAutoencoder

__all__ = ['GSRLayer', 'NodeMap', 'GraphUAutoencoder']
