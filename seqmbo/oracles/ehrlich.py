"""Ehrlich closed-form test functions (holo-bench definition).

Ehrlich functions (Stanton et al. 2024, "Closed-Form Test Functions for Biophysical Sequence
Design") are synthetic black-box objectives over sequences of ``dim`` tokens drawn from
``num_states`` states. An instance holds

* a row-stochastic ``transition_matrix`` ``(v, v)`` with some zero ("banned") entries. A
  sequence is *feasible* iff no consecutive pair ``(x[l], x[l + 1])`` has probability zero;
* ``num_motifs`` motifs ``(c, k)`` and their ``spacings`` ``(c, k)``: position offsets of the
  motif elements, ``spacings[i, 0] == 0`` and strictly increasing (our convention; the
  holo reference files store the ``k - 1`` gaps between consecutive elements instead, see
  :meth:`EhrlichFunction.from_dict`).

The value of a feasible sequence is ``f(x) = prod_i q(h_i(x))`` where
``h_i(x) = max_l (1/k) * sum_j [x[l + spacings[i, j]] == motifs[i, j]]`` over the positions
``l`` at which the whole spaced motif fits in the sequence, and ``q(h) = floor(h * q) / q``
(computed exactly in integers as ``floor(matches * q / k) / q``). The optimum is 1.0.

Infeasible designs: the paper scores them 0, pytorch-holo returns ``-inf``. seqmbo's oracle
convention is ``nan`` for every invalid design (infeasible, token out of range, wrong length),
so :meth:`EhrlichFunction.score_tokens` returns ``nan`` for them.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from seqmbo.errors import InvalidInputError

__all__ = ["ALPHABET", "EhrlichFunction", "EhrlichOracle"]

ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits
"""The letters of :class:`EhrlichOracle` designs; state ``i`` is ``ALPHABET[i]``."""


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidInputError(f"Ehrlich parameter {name} must be an integer, got {value!r}")
    if value < minimum:
        raise InvalidInputError(f"Ehrlich parameter {name} must be >= {minimum}, got {value}")
    return int(value)


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class EhrlichFunction:
    """One Ehrlich function instance.

    Attributes:
        num_states: Number of states ``v``.
        dim: Sequence length ``L``.
        num_motifs: Number of motifs ``c``.
        motif_length: Motif length ``k``.
        quantization: Number of quantization levels ``q`` (``1 <= q <= k``).
        transition_matrix: ``(v, v)`` float64, rows sum to 1; zeros are banned transitions.
        motifs: ``(c, k)`` int64 motif states.
        spacings: ``(c, k)`` int64 offsets of the motif elements, first column 0, rows
            strictly increasing, last column ``< dim``.
    """

    num_states: int
    dim: int
    num_motifs: int
    motif_length: int
    quantization: int
    transition_matrix: np.ndarray
    motifs: np.ndarray
    spacings: np.ndarray

    def __post_init__(self) -> None:
        v = _check_int("num_states", self.num_states, 1)
        L = _check_int("dim", self.dim, 1)
        c = _check_int("num_motifs", self.num_motifs, 1)
        k = _check_int("motif_length", self.motif_length, 1)
        q = _check_int("quantization", self.quantization, 1)
        if q > k:
            raise InvalidInputError(f"Ehrlich quantization ({q}) must be <= motif_length ({k})")
        T = np.asarray(self.transition_matrix, dtype=np.float64)
        if T.shape != (v, v) or not np.all(np.isfinite(T)) or np.any(T < 0):
            raise InvalidInputError(
                f"Ehrlich transition_matrix must be a finite non-negative ({v}, {v}) array, "
                f"got shape {T.shape}"
            )
        if not np.allclose(T.sum(axis=1), 1.0, atol=1e-5):
            raise InvalidInputError("Ehrlich transition_matrix rows must sum to 1")
        motifs = np.asarray(self.motifs)
        spacings = np.asarray(self.spacings)
        for name, a in (("motifs", motifs), ("spacings", spacings)):
            if a.shape != (c, k) or not np.issubdtype(a.dtype, np.integer):
                raise InvalidInputError(
                    f"Ehrlich {name} must be an integer ({c}, {k}) array, got {a.dtype} {a.shape}"
                )
        if np.any(motifs < 0) or np.any(motifs >= v):
            raise InvalidInputError(f"Ehrlich motifs must hold states in [0, {v})")
        if np.any(spacings[:, 0] != 0) or np.any(np.diff(spacings, axis=1) <= 0):
            raise InvalidInputError("Ehrlich spacings must start at 0 and strictly increase")
        if np.any(spacings[:, -1] >= L):
            raise InvalidInputError(f"Ehrlich spacings must fit in dim={L}")
        object.__setattr__(self, "transition_matrix", _readonly(T))
        object.__setattr__(self, "motifs", _readonly(motifs.astype(np.int64)))
        object.__setattr__(self, "spacings", _readonly(spacings.astype(np.int64)))

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_seed(
        cls,
        num_states: int,
        dim: int,
        num_motifs: int,
        motif_length: int,
        quantization: int,
        seed: int,
    ) -> EhrlichFunction:
        """Generates a random instance with the holo-bench guarantees.

        The transition matrix keeps its diagonal (aperiodic) and a random Hamiltonian cycle
        (irreducible), so it is ergodic; ``num_states // 4`` other transitions a row are
        banned. The motifs are consecutive chunks of one random walk on the allowed
        transitions (no self-loops), so each motif and the concatenation of all motifs is
        feasible. Each motif's offsets span at most ``dim // num_motifs`` positions, so the
        motifs placed one after another fit in ``dim`` and the optimum 1.0 is attainable
        (see :meth:`optimal_solution`). Not holo's random stream: same seed, same instance.

        Args:
            num_states: ``v >= 2``.
            dim: ``L``, with ``num_motifs * motif_length <= dim``.
            num_motifs: ``c >= 1``.
            motif_length: ``k >= 1``.
            quantization: ``1 <= q <= k``.
            seed: Seed of ``np.random.default_rng``.

        Raises:
            InvalidInputError: On invalid parameters.
        """
        v = _check_int("num_states", num_states, 2)
        L = _check_int("dim", dim, 1)
        c = _check_int("num_motifs", num_motifs, 1)
        k = _check_int("motif_length", motif_length, 1)
        q = _check_int("quantization", quantization, 1)
        seed = _check_int("seed", seed, 0)
        if c * k > L:
            raise InvalidInputError(
                f"Ehrlich num_motifs * motif_length ({c} * {k} = {c * k}) must be <= dim ({L})"
            )
        if q > k:
            raise InvalidInputError(f"Ehrlich quantization ({q}) must be <= motif_length ({k})")
        rng = np.random.default_rng(seed)

        perm = rng.permutation(v)
        successor = np.empty(v, dtype=np.int64)
        successor[perm] = np.roll(perm, -1)  # the cycle perm[0] -> perm[1] -> ... -> perm[0]
        allowed = np.ones((v, v), dtype=bool)
        n_banned = v // 4
        for r in range(v):
            candidates = np.setdiff1d(np.arange(v), [r, successor[r]])
            allowed[r, rng.choice(candidates, size=n_banned, replace=False)] = False
        weights = (1.0 - rng.random((v, v))) * allowed  # in (0, 1] where allowed
        T = weights / weights.sum(axis=1, keepdims=True)

        walk = np.empty(c * k, dtype=np.int64)
        walk[0] = rng.integers(v)
        for t in range(1, c * k):
            nxt = np.flatnonzero(allowed[walk[t - 1]])
            nxt = nxt[nxt != walk[t - 1]]
            walk[t] = rng.choice(nxt)
        motifs = walk.reshape(c, k)

        span = L // c  # offsets lie in [0, span)
        spacings = np.zeros((c, k), dtype=np.int64)
        for i in range(c):
            spacings[i, 1:] = np.sort(rng.choice(np.arange(1, span), size=k - 1, replace=False))
        return cls(v, L, c, k, q, T, motifs, spacings)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> EhrlichFunction:
        """Loads an instance in the holo reference JSON format.

        Args:
            d: Mapping with ``params`` (``num_states, dim, num_motifs, motif_length,
                quantization``), ``transition_matrix`` ``(v, v)``, ``motifs`` ``(c, k)`` and
                ``spacings``: either ``(c, k - 1)`` gaps between consecutive motif elements
                (holo's stored form) or ``(c, k)`` offsets starting at 0.

        Raises:
            InvalidInputError: On a missing key or inconsistent arrays.
        """
        try:
            p = d["params"]
            v, L, c, k, q = (p[key] for key in
                             ("num_states", "dim", "num_motifs", "motif_length", "quantization"))
            T, motifs, spacings = d["transition_matrix"], d["motifs"], d["spacings"]
        except (KeyError, TypeError) as exc:
            raise InvalidInputError(f"Ehrlich instance dict lacks key {exc}") from exc
        try:
            sp = np.asarray(spacings, dtype=np.int64).reshape(len(spacings), -1)
            if sp.shape[1] == int(k) - 1:
                sp = np.concatenate([np.zeros((len(sp), 1), np.int64), np.cumsum(sp, 1)], 1)
            T = np.asarray(T, dtype=np.float64)
            motifs = np.asarray(motifs, dtype=np.int64)
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"Ehrlich instance dict has malformed arrays: {exc}") from exc
        return cls(v, L, c, k, q, T, motifs, sp)

    def to_dict(self) -> dict[str, Any]:
        """The instance in the holo reference JSON format (spacings as gaps)."""
        return {
            "params": {"num_states": self.num_states, "dim": self.dim,
                       "num_motifs": self.num_motifs, "motif_length": self.motif_length,
                       "quantization": self.quantization},
            "transition_matrix": self.transition_matrix.tolist(),
            "motifs": self.motifs.tolist(),
            "spacings": np.diff(self.spacings, axis=1).tolist(),
        }

    # ------------------------------------------------------------------ evaluation
    def _valid_tokens(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Checks shape/dtype; returns ``(x, in_range)`` with x int64 ``(n, L)``."""
        x = np.asarray(x)
        if x.ndim != 2:
            raise InvalidInputError(f"Ehrlich tokens must be a 2-D (n, L) array, got {x.shape}")
        if x.size and not np.issubdtype(x.dtype, np.integer):
            raise InvalidInputError(f"Ehrlich tokens must be integers, got dtype {x.dtype}")
        x = x.astype(np.int64, copy=False)
        if x.shape[1] != self.dim:
            return x, np.zeros(x.shape[0], dtype=bool)
        return x, np.all((x >= 0) & (x < self.num_states), axis=1)

    def is_feasible(self, x: np.ndarray) -> np.ndarray:
        """Feasibility under the transition matrix.

        Args:
            x: ``(n, L)`` integer tokens.

        Returns:
            ``(n,)`` bool; False also for out-of-range tokens or a length other than ``dim``.
        """
        x, ok = self._valid_tokens(x)
        if not ok.any():
            return ok
        xs = np.where(ok[:, None], x, 0)
        allowed = self.transition_matrix > 0
        return ok & np.all(allowed[xs[:, :-1], xs[:, 1:]], axis=1)

    def score_tokens(self, x: np.ndarray) -> np.ndarray:
        """Ehrlich values of token sequences.

        Args:
            x: ``(n, L)`` integer tokens.

        Returns:
            ``(n,)`` float64 in ``[0, 1]``; ``nan`` for infeasible sequences, out-of-range
            tokens or a length other than ``dim`` (holo gives ``-inf``, the paper 0).
        """
        x, _ = self._valid_tokens(x)
        feasible = self.is_feasible(x)
        out = np.full(x.shape[0], np.nan)
        if not feasible.any():
            return out
        xf = x[feasible]
        k, q, L = self.motif_length, self.quantization, self.dim
        value = np.ones(xf.shape[0])
        for motif, offsets in zip(self.motifs, self.spacings):
            width = L - int(offsets[-1])  # start positions where the whole motif fits
            matches = np.zeros((xf.shape[0], width), dtype=np.int16)
            for a, o in zip(motif, offsets):
                matches += xf[:, o:o + width] == a
            best = matches.max(axis=1).astype(np.int64)
            value *= (best * q // k) / q
        out[feasible] = value
        return out

    # ------------------------------------------------------------------ sampling
    def sample_feasible(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Samples sequences from the DMP: uniform first state, then the transition matrix.

        Args:
            n: Number of sequences.
            rng: Random generator.

        Returns:
            ``(n, L)`` int64 feasible sequences.
        """
        n = _check_int("n", n, 0)
        v = self.num_states
        T = self.transition_matrix
        cdf = np.cumsum(T, axis=1)
        cdf /= cdf[:, -1:]
        # Row r's CDF shifted to (r, r + 1]: one sorted array, so one searchsorted a step.
        # A banned state repeats its predecessor's CDF value and is never the first one
        # above the key; the clip guards against r + u rounding up to r + 1.
        flat = (cdf + np.arange(v)[:, None]).ravel()
        last_allowed = v - 1 - np.argmax(T[:, ::-1] > 0, axis=1)
        x = np.empty((n, self.dim), dtype=np.int64)
        x[:, 0] = rng.integers(v, size=n)
        for t in range(1, self.dim):
            prev = x[:, t - 1]
            j = np.searchsorted(flat, prev + rng.random(n), side="right") - prev * v
            x[:, t] = np.minimum(j, last_allowed[prev])
        return x

    def optimal_solution(self) -> np.ndarray:
        """A feasible sequence of value 1.0.

        The motifs are placed one after another at their spacings; the remaining positions
        are filled by a forward reachability pass over the transition graph and a backward
        pass that prefers repeating the next state (self-transitions).

        Returns:
            ``(L,)`` int64 tokens.

        Raises:
            InvalidInputError: If no feasible completion exists for this placement.
        """
        v, L = self.num_states, self.dim
        fixed = np.full(L, -1, dtype=np.int64)
        start = 0
        for motif, offsets in zip(self.motifs, self.spacings):
            if start + offsets[-1] >= L:
                raise InvalidInputError("Ehrlich motifs placed one after another exceed dim")
            fixed[start + offsets] = motif
            start += int(offsets[-1]) + 1
        allowed = self.transition_matrix > 0
        reach = np.zeros((L, v), dtype=bool)
        for t in range(L):
            prev = np.ones(v, bool) if t == 0 else allowed[reach[t - 1]].any(axis=0)
            reach[t] = prev if fixed[t] < 0 else prev & (np.arange(v) == fixed[t])
        if not reach[-1].any():
            raise InvalidInputError("Ehrlich instance has no feasible optimum for this placement")
        x = np.empty(L, dtype=np.int64)
        x[-1] = np.flatnonzero(reach[-1])[0]
        for t in range(L - 2, -1, -1):
            cand = reach[t] & allowed[:, x[t + 1]]
            x[t] = x[t + 1] if cand[x[t + 1]] else np.flatnonzero(cand)[0]
        return x


class EhrlichOracle:
    """String oracle over an :class:`EhrlichFunction`; letter ``i`` of the alphabet is state ``i``.

    Args:
        function: The Ehrlich instance (``num_states <= 62``).

    Raises:
        InvalidInputError: If ``num_states`` exceeds the 62 letters of :data:`ALPHABET`.
    """

    def __init__(self, function: EhrlichFunction) -> None:
        if function.num_states > len(ALPHABET):
            raise InvalidInputError(
                f"EhrlichOracle supports at most {len(ALPHABET)} states, "
                f"got num_states={function.num_states}"
            )
        self._function = function
        self._alphabet = ALPHABET[: function.num_states]
        lut = np.full(256, -1, dtype=np.int64)
        lut[np.frombuffer(self._alphabet.encode("ascii"), dtype=np.uint8)] = np.arange(
            function.num_states
        )
        self._lut = lut

    @property
    def function(self) -> EhrlichFunction:
        """The wrapped Ehrlich instance."""
        return self._function

    @property
    def alphabet(self) -> str:
        """The design letters, ``ALPHABET[:num_states]``."""
        return self._alphabet

    @property
    def dim(self) -> int:
        """The design length ``L``."""
        return self._function.dim

    def encode(self, designs: Sequence[str]) -> np.ndarray:
        """Strings to tokens.

        Args:
            designs: ``n`` strings.

        Returns:
            ``(n, L)`` int64; ``-1`` for letters outside the alphabet, and a whole row of
            ``-1`` for a design that is not a string of length ``L``.
        """
        if isinstance(designs, (str, bytes)):
            raise InvalidInputError("Ehrlich designs must be a sequence of strings, not one string")
        designs = list(designs)
        L = self.dim
        out = np.full((len(designs), L), -1, dtype=np.int64)
        rows = [i for i, s in enumerate(designs) if isinstance(s, str) and len(s) == L]
        fast = [i for i in rows if designs[i].isascii()]
        if fast and L:
            buf = "".join(designs[i] for i in fast).encode("ascii")
            out[fast] = self._lut[np.frombuffer(buf, dtype=np.uint8)].reshape(len(fast), L)
        for i in set(rows) - set(fast):
            out[i] = [self._alphabet.find(ch) for ch in designs[i]]
        return out

    def decode(self, tokens: np.ndarray) -> list[str]:
        """Tokens to strings.

        Args:
            tokens: ``(n, L)`` integers in ``[0, num_states)``.

        Raises:
            InvalidInputError: On a token outside ``[0, num_states)`` or a non-2-D array.
        """
        t = np.asarray(tokens)
        if t.ndim != 2 or (t.size and not np.issubdtype(t.dtype, np.integer)):
            raise InvalidInputError(f"Ehrlich tokens must be a 2-D integer array, got {t.shape}")
        if t.size and (t.min() < 0 or t.max() >= len(self._alphabet)):
            raise InvalidInputError(f"Ehrlich tokens must lie in [0, {len(self._alphabet)})")
        letters = np.array(list(self._alphabet), dtype="<U1")
        if t.shape[1] == 0:
            return [""] * t.shape[0]
        joined = np.ascontiguousarray(letters[t]).view(f"<U{t.shape[1]}")  # (n, 1)
        return joined[:, 0].tolist()

    def __call__(self, designs: Sequence[str]) -> np.ndarray:
        """Scores designs.

        Args:
            designs: ``n`` strings of length ``L``.

        Returns:
            ``(n,)`` float64; ``nan`` for a wrong length, a letter outside the alphabet or
            an infeasible design.
        """
        return self._function.score_tokens(self.encode(designs))

    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        """``n`` designs sampled from the feasible distribution (see ``sample_feasible``)."""
        return self.decode(self._function.sample_feasible(n, rng))

    def optimal_design(self) -> str:
        """A design of value 1.0."""
        return self.decode(self._function.optimal_solution()[None])[0]
