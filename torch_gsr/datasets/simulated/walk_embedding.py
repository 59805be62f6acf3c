r"""Deterministic random-walk node embeddings and the similarities between
them: the stand-in for the node2vec features of the DEFEND release's
simulated sets (docs/datasets.md)."""
import numpy as np


def walk_embedding(adj: np.ndarray, dim: int = 8, window: int = 10) -> np.ndarray:
    r"""Node embeddings of the random-walk co-occurrence matrix within
    ``window`` steps, the matrix DeepWalk (node2vec with :math:`p = q = 1`)
    factorises after a log (Qiu et al., WSDM 2018).

    .. math::
        M = \frac{\mathrm{vol}(G)}{T} \Big(\sum_{r=1}^{T} (D^{-1} A)^r\Big)
        D^{-1}, \qquad X = V_d\, |\Lambda_d|^{1/2}

    (:math:`M = V \Lambda V^\top`, the :math:`d` eigenvalues of largest
    magnitude, window :math:`T`). Isolated nodes get zero rows.

    Args:
        adj (numpy.ndarray): ``[S, N, N]`` binary symmetric adjacency.
        dim (int): ``d``, at most ``N``. (default: :obj:`8`)
        window (int): :math:`T`. (default: :obj:`10`)

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
    cooccurrence = degree.sum(-1)[:, None, None] / window * walks * inverse[..., None, :]
    cooccurrence = (cooccurrence + cooccurrence.transpose(0, 2, 1)) / 2  # exactly
    values, vectors = np.linalg.eigh(cooccurrence)
    largest = np.argsort(-np.abs(values), axis=-1, kind='stable')[..., :dim]
    values = np.take_along_axis(values, largest, -1)
    vectors = np.take_along_axis(vectors, largest[:, None, :], -1)
    return vectors * np.sqrt(np.abs(values))[:, None, :]


def cosine_similarities(features: np.ndarray) -> np.ndarray:
    r"""Cosine similarities between the rows of ``features``, zero diagonal
    (and zero for a zero row); unchanged by any rotation of the features.

    Shapes:
        features ``[S, N, d]`` -> ``[S, N, N]`` float32.
    """
    norm = np.linalg.norm(features, axis=-1, keepdims=True)
    unit = np.divide(features, norm, out=np.zeros_like(features), where=norm > 1e-12)
    similarity = np.clip(unit @ unit.transpose(0, 2, 1), -1., 1.)
    idx = np.arange(similarity.shape[-1])
    similarity[:, idx, idx] = 0.
    return similarity.astype(np.float32)
