"""Exact Tanimoto kernels on packed bit fingerprints (SNN and internal diversity).

Fingerprints travel as packed bits: an array ``(n, n_bytes)`` of ``uint8`` (bit ``i`` of a
fingerprint is bit ``i % 8`` of byte ``i // 8``, the layout of RDKit's
``DataStructs.BitVectToBinaryText``). A 1024-bit fingerprint is 128 bytes, so 250,000 of them
take 32 MB.

Intersections ``c = |a ∧ b|`` are computed as a matrix product of 0/1 matrices, block by block,
so memory stays bounded whatever the sizes. On CPUs with AVX512-BF16/AMX the product runs in
bfloat16, which is exact here: every partial sum is an integer no larger than
``min(|a|, |b|)``, and bfloat16 represents every integer up to 256. A block in which both sides
hold a fingerprint with more than 256 bits set falls back to float32 (exact up to 2**24). The
Tanimoto ratio ``c / (|a| + |b| - c)`` is then formed in float32, exactly as MOSES does, so
values agree with the MOSES/torch code to the last float32 bit; two empty fingerprints have
similarity 1 (MOSES replaces the 0/0 NaN by 1).

For the nearest-neighbour maximum the reference is sorted by popcount: inside a run of equal
popcount ``b`` the ratio is increasing in ``c``, so the maximum similarity of a query to the
run is read off the maximum intersection, which is a fast integer reduction (bfloat16 values
that are non-negative compare like their int16 bit patterns).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

logger = logging.getLogger(__name__)

_BF16_EXACT_MAX = 256  # largest integer n such that every integer <= n is exact in bfloat16


def popcounts(packed: np.ndarray) -> np.ndarray:
    """Number of bits set in each packed fingerprint.

    Args:
        packed: ``(n, n_bytes)`` uint8 packed fingerprints.

    Returns:
        ``(n,)`` int64 popcounts.
    """
    packed = np.ascontiguousarray(packed, dtype=np.uint8)
    return np.bitwise_count(packed).sum(axis=1, dtype=np.int64)


@dataclass(frozen=True)
class SortedFingerprints:
    """Distinct fingerprints sorted by popcount, ready for nearest-neighbour queries.

    Attributes:
        packed: ``(m, n_bytes)`` uint8 distinct packed fingerprints, popcount ascending.
        counts: ``(m,)`` int64 popcount of each row.
    """

    packed: np.ndarray
    counts: np.ndarray

    @classmethod
    def build(cls, packed: np.ndarray) -> "SortedFingerprints":
        """Deduplicate and sort packed fingerprints (the maximum is unaffected by either).

        Args:
            packed: ``(n, n_bytes)`` uint8 packed fingerprints (duplicates allowed).
        """
        packed = np.ascontiguousarray(packed, dtype=np.uint8)
        if len(packed):
            packed = np.unique(packed, axis=0)
        counts = popcounts(packed)
        order = np.argsort(counts, kind="stable")
        return cls(np.ascontiguousarray(packed[order]), counts[order])

    def __len__(self) -> int:
        return len(self.packed)


# --------------------------------------------------------------------------- backends


class _Backend:
    """Turns packed blocks into dense 0/1 matrices and multiplies them."""

    def __init__(self, device: str = "cpu", prefer_bf16: bool | None = None) -> None:
        try:
            import torch
        except ImportError:  # numpy fallback: float32 BLAS
            self.torch: Any = None
            self.bf16 = False
            self.device = "cpu"
        else:
            self.torch = torch
            self.device = device
            if prefer_bf16 is None:
                if str(device).startswith("cuda"):
                    prefer_bf16 = True
                else:
                    cpu = getattr(torch, "cpu", None)
                    prefer_bf16 = bool(
                        cpu is not None
                        and (
                            getattr(cpu, "_is_avx512_bf16_supported", lambda: False)()
                            or getattr(cpu, "_is_amx_tile_supported", lambda: False)()
                        )
                    )
            self.bf16 = bool(prefer_bf16)
        bits = ((np.arange(256)[:, None] >> np.arange(8)[None, :]) & 1).astype(bool)
        self._lut_f32 = bits.astype(np.float32)
        self._lut_bf16 = np.where(bits, np.int16(0x3F80), np.int16(0))  # bfloat16 1.0 / 0.0

    @property
    def name(self) -> str:
        if self.torch is None:
            return "numpy-float32"
        return f"torch-{'bfloat16' if self.bf16 else 'float32'}-{self.device}"

    def dense(self, packed: np.ndarray, bf16: bool) -> Any:
        """Dense ``(n, 8 * n_bytes)`` 0/1 matrix of a packed block."""
        n = len(packed)
        if self.torch is None:
            return self._lut_f32[packed].reshape(n, -1)
        t = self.torch
        if bf16:
            x = t.from_numpy(self._lut_bf16[packed].reshape(n, -1)).view(t.bfloat16)
        else:
            x = t.from_numpy(self._lut_f32[packed].reshape(n, -1))
        return x.to(self.device) if self.device != "cpu" else x

    def intersections(self, q: Any, r: Any) -> np.ndarray:
        """``q @ r.T`` as a numpy array (bfloat16 results are returned as their int16 bits)."""
        if self.torch is None:
            return q @ r.T
        c = q @ r.T
        if c.dtype == self.torch.bfloat16:
            c = c.view(self.torch.int16)
        return c.cpu().numpy()


def _block_uses_bf16(backend: _Backend, max_q: int, max_r: int) -> bool:
    return backend.bf16 and min(max_q, max_r) <= _BF16_EXACT_MAX


def _as_float(c: np.ndarray) -> np.ndarray:
    """Values of an intersection block as float32 (decoding bfloat16 bit patterns)."""
    if c.dtype == np.int16:
        return (c.astype(np.int32) << 16).view(np.float32)
    return c.astype(np.float32, copy=False)


def _tanimoto(c: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """float32 Tanimoto from intersections ``c`` and popcounts (broadcast), 0/0 -> 1."""
    den = a + b - c
    with np.errstate(invalid="ignore", divide="ignore"):
        t = c / den
    return np.where(den > 0, t, np.float32(1.0)).astype(np.float32, copy=False)


def tanimoto_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Tanimoto similarities between two sets of packed fingerprints, exactly (float32 ratio).

    Args:
        a: ``(n, n_bytes)`` uint8 packed fingerprints.
        b: ``(m, n_bytes)`` uint8 packed fingerprints.

    Returns:
        ``(n, m)`` float32 similarities (two empty fingerprints: 1, as MOSES).
    """
    a = np.ascontiguousarray(a, dtype=np.uint8)
    b = np.ascontiguousarray(b, dtype=np.uint8)
    da = np.unpackbits(a, axis=1, bitorder="little").astype(np.float32)
    db = np.unpackbits(b, axis=1, bitorder="little").astype(np.float32)
    c = da @ db.T  # integer counts, exact in float32
    return _tanimoto(c, popcounts(a).astype(np.float32)[:, None], popcounts(b).astype(np.float32)[None, :])


# --------------------------------------------------------------------------- SNN


def max_tanimoto(
    query: np.ndarray,
    reference: SortedFingerprints,
    *,
    block_query: int = 4096,
    block_reference: int = 8192,
    device: str = "cpu",
    cache_mb: float = 256.0,
) -> np.ndarray:
    """For each query fingerprint, the largest Tanimoto similarity to any reference one.

    Exact (no sampling, no pruning). Memory is bounded by the block sizes (about
    ``block_query * block_reference * 2`` bytes for the intersection block) plus the dense
    query matrix, which is kept across reference blocks when it fits in ``cache_mb``
    (100,000 queries take 200 MB).

    Args:
        query: ``(n, n_bytes)`` uint8 packed query fingerprints.
        reference: the reference fingerprints, from :meth:`SortedFingerprints.build`.
        block_query: query rows per block.
        block_reference: reference rows per block.
        device: torch device for the products (``"cpu"``, ``"cuda"``).
        cache_mb: largest dense query matrix kept between reference blocks, in MB.

    Returns:
        ``(n,)`` float32 maximum similarities (0 where the reference is empty).
    """
    query = np.ascontiguousarray(query, dtype=np.uint8)
    best = np.zeros(len(query), dtype=np.float32)
    if len(query) == 0 or len(reference) == 0:
        return best
    if query.shape[1] != reference.packed.shape[1]:
        raise ValueError(
            f"fingerprint widths differ: query {query.shape[1] * 8} bits, "
            f"reference {reference.packed.shape[1] * 8} bits"
        )
    backend = _Backend(device)
    qa = popcounts(query)
    qa_f = qa.astype(np.float32)
    q_blocks = [(i, min(i + block_query, len(query))) for i in range(0, len(query), block_query)]
    q_max = [int(qa[i:j].max()) for i, j in q_blocks]
    elem_bytes = 2 if backend.bf16 else 4
    keep_dense = query.shape[0] * query.shape[1] * 8 * elem_bytes <= cache_mb * 2**20
    q_dense: dict[tuple[int, bool], Any] = {}

    def dense_query(i0: int, i1: int, bf16: bool) -> Any:
        if not keep_dense:
            return backend.dense(query[i0:i1], bf16)
        key = (i0, bf16)
        if key not in q_dense:
            q_dense[key] = backend.dense(query[i0:i1], bf16)
        return q_dense[key]

    for j0 in range(0, len(reference), block_reference):
        j1 = min(j0 + block_reference, len(reference))
        rb = reference.counts[j0:j1]
        cuts = np.flatnonzero(np.diff(rb)) + 1
        starts = np.concatenate(([0], cuts))
        ends = np.concatenate((cuts, [len(rb)]))
        seg_b = rb[starts].astype(np.float32)
        r_dense: dict[bool, Any] = {}
        for (i0, i1), qmax in zip(q_blocks, q_max):
            bf16 = _block_uses_bf16(backend, qmax, int(rb[-1]))
            if bf16 not in r_dense:
                r_dense[bf16] = backend.dense(reference.packed[j0:j1], bf16)
            c = backend.intersections(dense_query(i0, i1, bf16), r_dense[bf16])
            # max intersection per (query, equal-popcount run), then one ratio per run
            cmax = np.stack([c[:, s:e].max(axis=1) for s, e in zip(starts, ends)], axis=1)
            t = _tanimoto(_as_float(cmax), qa_f[i0:i1, None], seg_b[None, :])
            np.maximum(best[i0:i1], t.max(axis=1), out=best[i0:i1])
    return best


# --------------------------------------------------------------------------- IntDiv


def tanimoto_power_sums(
    rows: np.ndarray,
    cols: np.ndarray,
    powers: Sequence[float] = (1.0, 2.0),
    *,
    col_weights: np.ndarray | None = None,
    block_rows: int = 1024,
    block_cols: int = 4096,
    device: str = "cpu",
) -> np.ndarray:
    """Row sums of powers of the Tanimoto matrix, ``S[i, k] = sum_j w_j T_ij ** p_k``.

    Args:
        rows: ``(n, n_bytes)`` uint8 packed fingerprints.
        cols: ``(m, n_bytes)`` uint8 packed fingerprints.
        powers: the exponents ``p_k``.
        col_weights: ``(m,)`` weight of each column (multiplicities); ones if None.
        block_rows: rows per block.
        block_cols: columns per block.
        device: torch device for the products.

    Returns:
        ``(n, len(powers))`` float64 sums.
    """
    rows = np.ascontiguousarray(rows, dtype=np.uint8)
    cols = np.ascontiguousarray(cols, dtype=np.uint8)
    out = np.zeros((len(rows), len(powers)), dtype=np.float64)
    if len(rows) == 0 or len(cols) == 0:
        return out
    w = np.ones(len(cols)) if col_weights is None else np.asarray(col_weights, dtype=np.float64)
    backend = _Backend(device)
    ra, ca = popcounts(rows), popcounts(cols)
    ra_f, ca_f = ra.astype(np.float32), ca.astype(np.float32)
    for j0 in range(0, len(cols), block_cols):
        j1 = min(j0 + block_cols, len(cols))
        c_dense: dict[bool, Any] = {}
        cmax = int(ca[j0:j1].max())
        for i0 in range(0, len(rows), block_rows):
            i1 = min(i0 + block_rows, len(rows))
            bf16 = _block_uses_bf16(backend, int(ra[i0:i1].max()), cmax)
            if bf16 not in c_dense:
                c_dense[bf16] = backend.dense(cols[j0:j1], bf16)
            c = _as_float(backend.intersections(backend.dense(rows[i0:i1], bf16), c_dense[bf16]))
            t = _tanimoto(c, ra_f[i0:i1, None], ca_f[None, j0:j1])
            for k, p in enumerate(powers):
                tp = t if p == 1 else t**np.float32(p)
                out[i0:i1, k] += tp.astype(np.float64) @ w[j0:j1]
    return out


@dataclass(frozen=True)
class InternalDiversity:
    """Result of :func:`internal_diversity`.

    Attributes:
        values: IntDiv_p for each requested power ``p``, in order.
        sampled: whether a random subset of the molecules was used.
        n_used: number of molecules the estimate rests on (all of them when exact).
    """

    values: tuple[float, ...]
    sampled: bool
    n_used: int


def internal_diversity(
    packed: np.ndarray,
    weights: np.ndarray | None = None,
    powers: Sequence[float] = (1.0, 2.0),
    *,
    max_pairs: int = 100_000_000,
    rng: np.random.Generator | None = None,
    device: str = "cpu",
) -> InternalDiversity:
    """MOSES internal diversity ``IntDiv_p = 1 - mean_i (mean_j T_ij ** p) ** (1 / p)``.

    The means run over the multiset of molecules (``weights`` are multiplicities, duplicates
    count), over ordered pairs including ``i == j`` (``T_ii = 1``), as in MOSES.

    When the number of ordered pairs ``N ** 2`` exceeds ``max_pairs``, ``m = isqrt(max_pairs)``
    molecules are drawn without replacement; each sampled row's off-diagonal mean is
    estimated from the other sampled molecules and the known diagonal term is added back:
    ``row_i = ((1 + (N - 1) * mean_{j in S, j != i} T_ij ** p) / N) ** (1 / p)``.
    For ``p = 1`` this is unbiased; for ``p = 2`` the bias is of order ``1 / m``.

    Args:
        packed: ``(n, n_bytes)`` uint8 distinct (or not) packed fingerprints.
        weights: ``(n,)`` positive integer multiplicities; ones if None.
        powers: the exponents ``p``.
        max_pairs: largest number of ordered pairs computed exactly.
        rng: random generator for the subsample.
        device: torch device for the products.

    Returns:
        The values, whether they were sampled, and the number of molecules used.
    """
    packed = np.ascontiguousarray(packed, dtype=np.uint8)
    w = np.ones(len(packed), dtype=np.int64) if weights is None else np.asarray(weights, np.int64)
    n_total = int(w.sum())
    if n_total == 0:
        return InternalDiversity(tuple(float("nan") for _ in powers), False, 0)
    if n_total * n_total <= max_pairs:
        sums = tanimoto_power_sums(packed, packed, powers, col_weights=w, device=device)
        vals = []
        for k, p in enumerate(powers):
            row = (sums[:, k] / n_total) ** (1.0 / p)
            vals.append(1.0 - float(np.dot(w, row)) / n_total)
        return InternalDiversity(tuple(vals), False, n_total)
    rng = rng if rng is not None else np.random.default_rng(0)
    m = max(2, int(np.sqrt(max_pairs)))
    positions = rng.choice(n_total, size=m, replace=False)
    owner = np.repeat(np.arange(len(packed)), w)[positions]
    sample = packed[owner]
    sums = tanimoto_power_sums(sample, sample, powers, device=device)
    vals = []
    for k, p in enumerate(powers):
        off_mean = (sums[:, k] - 1.0) / (m - 1)  # T_ii ** p == 1 on the diagonal
        row = ((1.0 + (n_total - 1) * off_mean) / n_total) ** (1.0 / p)
        vals.append(1.0 - float(row.mean()))
    logger.info("IntDiv estimated from %d of %d molecules (%d pairs)", m, n_total, m * m)
    return InternalDiversity(tuple(vals), True, m)
