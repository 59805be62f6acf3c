r"""Copies the package's STP-GSR, DirectSR, Bi-SR and DEFEND weights into
the official modules (PyG ``TransformerConv`` and ``GraphNorm``), builds
their configurations; for the tests and ``benchmarks/releases_speed.py``."""
from types import SimpleNamespace

import torch

from .releases import release_module


def copy_transformer(ours, theirs, gen: torch.Generator) -> None:
    r"""``ours`` (:class:`DenseTransformerConv` or
    :class:`LineGraphTransformerConv`) into a ``TransformerConv``. The
    package has no key bias (the softmax cancels it): the release's gets a
    random one, so a comparison also shows that it does not matter."""
    with torch.no_grad():
        for part in ('query', 'value', 'skip'):
            mine, other = getattr(ours, f'lin_{part}'), getattr(theirs, f'lin_{part}')
            other.weight.copy_(mine.weight)
            other.bias.copy_(mine.bias)
        theirs.lin_key.weight.copy_(ours.lin_key.weight)
        key_bias = theirs.lin_key.bias
        key_bias.copy_(torch.randn(key_bias.shape, generator=gen, dtype=key_bias.dtype))
        if ours.lin_edge is not None:
            theirs.lin_edge.weight.copy_(ours.lin_edge.weight)


def copy_norm(ours, theirs) -> None:
    r"""A ``GraphNorm``'s parameters."""
    theirs.load_state_dict(ours.state_dict())


def perturb_norms(norms, seed: int) -> None:
    r"""Moves every GraphNorm parameter off its initial value, so a
    comparison covers them."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for norm in norms:
            for param in norm.parameters():
                param.add_(0.2 * torch.randn(param.shape, generator=gen, dtype=param.dtype))


def stp_config(lr_nodes: int, hr_nodes: int, heads: int = 4, dropout: float = 0.2):
    r"""The attributes the release's ``STPGSR`` reads
    (configs/model/stp_gsr.yaml)."""
    layer = dict(edge_dim=1, dropout=dropout, beta=False)
    return SimpleNamespace(
        dataset=SimpleNamespace(n_source_nodes=lr_nodes, n_target_nodes=hr_nodes),
        model=SimpleNamespace(
            target_edge_initializer=SimpleNamespace(num_heads=heads, **layer),
            dual_learner=SimpleNamespace(in_dim=1, out_dim=1, num_heads=1, **layer)))


def direct_sr_config(lr_nodes: int, hr_nodes: int, heads: int = 4, dropout: float = 0.2):
    r"""The attributes the release's ``DirectSR`` reads
    (configs/model/direct_sr.yaml)."""
    return SimpleNamespace(
        dataset=SimpleNamespace(n_source_nodes=lr_nodes, n_target_nodes=hr_nodes),
        model=SimpleNamespace(num_heads=heads, edge_dim=1, dropout=dropout, beta=False))


def copy_stp(model, released, seed: int = 0) -> None:
    r"""A ``STPGSR(preset='paper')`` into the release's ``STPGSR``."""
    gen = torch.Generator().manual_seed(seed)
    init, dual = released.target_edge_initializer, released.dual_learner
    copy_transformer(model.init_conv, init.conv1, gen)
    copy_transformer(model.dual_convs[0], dual.conv1, gen)
    copy_norm(model.init_norm, init.bn1)
    copy_norm(model.dual_norms[0], dual.bn1)


def copy_direct_sr(model, released, seed: int = 0) -> None:
    r"""A ``DirectSR(preset='paper')`` into the release's ``DirectSR``."""
    gen = torch.Generator().manual_seed(seed)
    copy_transformer(model.conv1, released.conv1, gen)
    copy_transformer(model.conv2, released.conv2, gen)
    copy_norm(model.norm1, released.bn1)
    copy_norm(model.norm2, released.bn2)



#: The package's Bi-SR / DEFEND modules under the release's names
#: (DEFEND's models/bi_sr.py).
RELEASE_NAMES = {'conv1': 'lr_conv', 'bn1': 'lr_norm', 'bipartitie_fc': 'bipartite',
                 'bipartite_attn': 'bipartite', 'bipartite_attn_bn': 'bipartite_norm',
                 'conv2': 'refine', 'bn2': 'refine_norm'}


def release_name(name: str) -> str:
    r"""The package name of a released Bi-SR or DEFEND parameter."""
    parts = name.split('.')
    if parts[0] == 'dual_learner':
        return '.'.join([{'conv1': 'dual_convs.0', 'bn1': 'dual_norms.0'}[parts[1]],
                         *parts[2:]])
    if parts[0] == 'node_init_model':
        parts = parts[1:]
    return '.'.join(['initializer', RELEASE_NAMES[parts[0]], *parts[1:]])


def load_into(released, model, seed: int = 0):
    r"""Copies a ``BiSR`` or ``DEFEND`` ``model``'s weights (and ``bi_mp``'s
    fixed HR node embeddings) into the released module, in ``model``'s
    dtype; its key biases (which the package drops) get random values."""
    gen = torch.Generator().manual_seed(seed)
    ours = model.state_dict()
    dtype = next(model.parameters()).dtype
    released.to(dtype)  # before loading: a float32 copy of float64 would round
    state = {}
    for name, value in released.state_dict().items():
        mine = ours.get(release_name(name))
        if mine is None:
            assert name.endswith('lin_key.bias'), name
            mine = torch.randn(value.shape, generator=gen, dtype=torch.float64).to(dtype)
        state[name] = mine
    released.load_state_dict(state)
    node_init = getattr(released, 'node_init_model', released)
    if hasattr(node_init, 'target_node_embeddings'):
        node_init.target_node_embeddings = model.initializer.hr_embeddings.clone()
    return released.eval()


def copy_bi_sr(model, released, seed: int = 0) -> None:
    r"""A ``BiSR`` or ``DEFEND`` into the release's model (:func:`load_into`
    in the argument order of the other copiers)."""
    load_into(released, model, seed)


def defend_config(lr_nodes: int, hr_nodes: int, initializer: str, refine: bool = False,
                  binarize: bool = False):
    r"""A copy of the release's ``configs/brain.py`` (the module stays
    unchanged) with these sizes and options."""
    brain = release_module('defend', 'configs.brain').Config

    def copy(section):
        return SimpleNamespace(**{k: v for k, v in vars(section).items()
                                  if not k.startswith('_')})
    config = SimpleNamespace(model=copy(brain.model), data=copy(brain.data),
                             experiment=copy(brain.experiment))
    config.model.sr_method, config.model.refine_target = initializer, refine
    config.model.binarize = binarize
    config.data.n_source_nodes, config.data.n_target_nodes = lr_nodes, hr_nodes
    return config
