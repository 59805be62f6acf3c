"""What the official-code tests share: random float64 connectomes, and the
package's released-generator weights under the reference's names."""
import torch


def connectomes(num_subjects, num_nodes, seed):
    gen = torch.Generator().manual_seed(seed)
    adj = torch.rand(num_subjects, num_nodes, num_nodes, generator=gen,
                     dtype=torch.float64)
    adj = (adj + adj.transpose(-1, -2)) / 2
    adj.diagonal(dim1=-2, dim2=-1).fill_(1.)
    return adj


def generator_weights(model) -> dict:
    r"""A GSRNet's or AGSRNet's released-generator parameters (U-Autoencoder,
    GSR layer, HR GCNs) under the reference's names."""
    enc = model.encoder
    w = {'gsr.weight': model.gsr.weight, 'hr1.weight': model.head.weight1,
         'hr2.weight': model.head.weight2}
    named = [('start', enc.start), ('bottom', enc.bottom), ('end', enc.end)]
    named += [(f'down.{i}', lin) for i, lin in enumerate(enc.down)]
    named += [(f'up.{i}', lin) for i, lin in enumerate(enc.up)]
    named += [(f'pool.{i}', pool.lin) for i, pool in enumerate(enc.pools)]
    for name, lin in named:
        w[name + '.weight'], w[name + '.bias'] = lin.weight, lin.bias
    return {name: value.detach() for name, value in w.items()}
