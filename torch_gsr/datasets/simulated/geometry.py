r"""The parts every simulator shares: points on the unit sphere, Voronoi
atlases that average them into parcels, smooth bumps and AR(1) series."""
from typing import Tuple

import numpy as np
import scipy.signal

#: Subjects simulated at once (one batch of random draws per chunk).
CHUNK = 32


def sphere(num_points: int, rng: np.random.Generator) -> np.ndarray:
    r"""``[num_points, 3]`` points drawn uniformly on the unit sphere."""
    points = rng.standard_normal((num_points, 3))
    return points / np.linalg.norm(points, axis=1, keepdims=True)


def unit(vectors: np.ndarray) -> np.ndarray:
    r"""``vectors`` scaled to unit length along the last axis."""
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def voronoi(coords: np.ndarray, num_parcels: int, rng: np.random.Generator) -> np.ndarray:
    r"""Parcel of each point ``[V]``: its nearest of ``num_parcels`` centres
    drawn among the points themselves, so no parcel is empty."""
    centres = coords[rng.choice(len(coords), num_parcels, replace=False)]
    return np.argmax(coords @ centres.T, axis=1)


def averaging(parcels: np.ndarray, num_parcels: int) -> np.ndarray:
    r"""``[V, N]`` matrix averaging fine series into parcel series."""
    onehot = np.zeros((len(parcels), num_parcels), dtype=np.float32)
    onehot[np.arange(len(parcels)), parcels] = 1.
    return onehot / onehot.sum(axis=0, keepdims=True)


def bumps(coords: np.ndarray, centres: np.ndarray, sharpness: float) -> np.ndarray:
    r"""``[..., K, V]`` bumps :math:`\exp(\kappa (\mathbf{c}^\top \mathbf{v} -
    1))` around ``centres`` ``[..., K, 3]`` at the vertices ``coords``
    ``[V, 3]``."""
    return np.exp(sharpness * (centres @ coords.T - 1.))


def ar1_series(rng: np.random.Generator, shape: Tuple[int, ...],
               smoothing: float) -> np.ndarray:
    r"""AR(1)-smoothed white noise of ``shape`` with time on axis 1, unit
    variance, float32."""
    white = rng.standard_normal(shape, dtype=np.float32)
    series = scipy.signal.lfilter([np.sqrt(1 - smoothing ** 2)], [1., -smoothing], white, axis=1)
    return series.astype(np.float32)
