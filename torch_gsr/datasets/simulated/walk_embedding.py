r"""Deterministic random-walk node embeddings and the correlations between
them: the stand-in for the node2vec features of the DEFEND release's
simulated sets (docs/datasets.md)."""
import numpy as np


def walk_embedding(adj: np.ndarray, dim: int = 8, window: int = 10,
                   negative: int = 5) -> np.ndarray:
    r"""Node embeddings factorising the matrix that DeepWalk (node2vec with
    :math:`p = q = 1`) factorises implicitly (NetMF, Qiu et al., WSDM 2018).

    .. math::
        M = \log \max\!\Big(\frac{\mathrm{vol}(G)}{b T}
        \Big(\sum_{r=1}^{T} (D^{-1} A)^r\Big) D^{-1},\, 1\Big),
        \qquad X = U_d \Sigma_d^{1/2}

    (:math:`M = U \Sigma V^\top`, window :math:`T`, :math:`b` negative
    samples); each column's sign makes its largest entry positive. Isolated
    nodes get zero rows.

    Args:
        adj (numpy.ndarray): ``[S, N, N]`` binary symmetric adjacency.
        dim (int): ``d``. (default: :obj:`8`)
        window (int): :math:`T`. (default: :obj:`10`)
        negative (int): :math:`b`. (default: :obj:`5`)

    Shapes:
        adj ``[S, N, N]`` -> ``[S, N, d]`` float64.
    """
    adj = adj.astype(np.float64)
    degree = adj.sum(-1)
    inverse = np.divide(1., degree, out=np.zeros_like(degree), where=degree > 0)
    step = adj * inverse[..., :, None]
    power, walks = step, step.copy()
    for _ in range(window - 1):
        power = power @ step
        walks += power
    volume = degree.sum(-1)[:, None, None]
    target = volume / (negative * window) * walks * inverse[..., None, :]
    target = np.log(np.maximum(target, 1.))
    target = (target + target.transpose(0, 2, 1)) / 2  # exactly symmetric
    left, singular, _ = np.linalg.svd(target)
    features = left[..., :dim] * np.sqrt(singular[..., None, :dim])
    largest = np.take_along_axis(features, np.abs(features).argmax(-2)[..., None, :], -2)
    return features * np.where(largest < 0, -1., 1.)


def row_correlations(features: np.ndarray) -> np.ndarray:
    r"""Pearson correlations between the rows of ``features``, zero diagonal
    (and zero for a constant row).

    Shapes:
        features ``[S, N, d]`` -> ``[S, N, N]`` float32.
    """
    centred = features - features.mean(-1, keepdims=True)
    norm = np.linalg.norm(centred, axis=-1, keepdims=True)
    unit = np.divide(centred, norm, out=np.zeros_like(centred), where=norm > 1e-12)
    corr = np.clip(unit @ unit.transpose(0, 2, 1), -1., 1.)
    idx = np.arange(corr.shape[-1])
    corr[:, idx, idx] = 0.
    return corr.astype(np.float32)
