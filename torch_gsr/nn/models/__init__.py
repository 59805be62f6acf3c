r"""The models, one module per family, each registered where it is defined
(:data:`MODELS`): GSR-Net and its ablations, AGSR-Net, STP-GSR, NodeMapGSR,
EnsembleGSR, DirectSR, Bi-SR and DEFEND."""
from ..registry import MODELS, build_model
from .agsr import AGSRNet
from .bi_sr import BiSR
from .defend import DEFEND
from .direct_sr import DirectSR
from .ensemble import EnsembleGSR
from .gsr_model import GSRModel
from .gsr_net import DeepGSR, GSRAutoencoder, GSRLayerOnly, GSRNet
from .node_map_gsr import NodeMapGSR
from .stp import STPGSR

__all__ = ['MODELS', 'build_model', 'GSRModel', 'GSRNet', 'GSRLayerOnly', 'DeepGSR',
           'GSRAutoencoder', 'AGSRNet', 'STPGSR', 'NodeMapGSR', 'EnsembleGSR',
           'BiSR', 'DEFEND', 'DirectSR']
