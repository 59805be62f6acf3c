r"""Graph pooling and unpooling of the Graph U-Autoencoder (dense and sparse)."""
from .graph_pool import GraphPool, GraphUnpool, pool_dense_adj, pool_edges

__all__ = ['GraphPool', 'GraphUnpool', 'pool_dense_adj', 'pool_edges']
