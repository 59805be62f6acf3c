r"""Convolutions on connectomes: GCNs on weighted graphs (dense and sparse),
and the transformer convolutions of STP-GSR (dense, and on the dual graph)."""
from .bipartite_transformer_conv import BipartiteTransformerConv
from .dense_transformer_conv import DenseTransformerConv
from .gcn_conv import ConnectomeGCNConv, gcn_norm_dense
from .line_graph_conv import LineGraphTransformerConv, complete_line_graph
from .line_graph_mean_conv import LineGraphMeanConv
from .sparse_gcn_conv import SparseConnectomeGCNConv, gcn_norm_sparse

__all__ = [
    'ConnectomeGCNConv', 'gcn_norm_dense', 'SparseConnectomeGCNConv', 'gcn_norm_sparse',
    'DenseTransformerConv', 'LineGraphTransformerConv', 'complete_line_graph',
    'LineGraphMeanConv', 'BipartiteTransformerConv',
]
