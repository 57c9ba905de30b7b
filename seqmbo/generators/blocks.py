"""Block moves on token sequences: a window moved to another offset, or copied from a donor.

Letter mutations cannot relocate a feature made of several letters at fixed spacings (an
Ehrlich motif, a binding site, a sequence motif whose elements sit at fixed offsets): moving it
takes one change for each of its letters, and every intermediate design has lost the feature.
These operators move a contiguous window of letters as a whole, keeping its letters and their
spacings:

* :func:`move_block` cuts a window out of a sequence and re-inserts it at another offset; the
  letters between the two offsets slide over by the window's length, so every feature lying
  wholly on either side of the cut, or inside the window, is kept (a segment rotation);
* :func:`copy_block` overwrites a window of a sequence with a window of a donor sequence, at the
  same offset (a two-point crossover at the window's boundaries) or at another offset (a
  transplant of the donor's feature into a free stretch of the receiver).

All work on ``(L,)`` rows of token ids whose padding (``< 0``) sits at the end; only the
non-padded prefix is touched. Whether the result is feasible is the caller's question (e.g. the
reward's support): the window keeps its own adjacent letter pairs, only the two pairs at its
boundaries are new.
"""

from __future__ import annotations

import numpy as np


def window_length(length: int, max_window: int, rng: np.random.Generator) -> int:
    """A window length drawn uniformly from ``2..min(max_window, length)`` (``length`` if shorter)."""
    top = min(max_window, length)
    return int(rng.integers(2, top + 1)) if top >= 2 else length


def move_block(row: np.ndarray, max_window: int, rng: np.random.Generator) -> np.ndarray:
    """``row`` with a window of ``2..max_window`` letters moved to another offset.

    Args:
        row: ``(L,)`` token ids (padding ``< 0`` at the end).
        max_window: the longest window moved.
        rng: the only source of randomness.

    Returns:
        A new ``(L,)`` array: the window ``[s, s + w)`` now starts at ``t != s`` and the letters
        between the two offsets have slid over by ``w`` (``row`` itself when it is too short).
    """
    out = row.copy()
    length = int((row >= 0).sum())
    w = window_length(length, max_window, rng)
    if length - w < 1:
        return out
    s, t = rng.choice(length - w + 1, size=2, replace=False)
    lo, hi = min(s, t), max(s, t) + w
    out[lo:hi] = np.roll(row[lo:hi], t - s)
    return out


def copy_block(row: np.ndarray, donor: np.ndarray, max_window: int, same_offset: bool,
               rng: np.random.Generator) -> np.ndarray:
    """``row`` with a window of ``donor`` written over one of its own windows.

    Args:
        row: ``(L,)`` token ids of the receiver (padding ``< 0`` at the end).
        donor: ``(L,)`` token ids of the donor (may be ``row`` itself).
        max_window: the longest window copied.
        same_offset: copy to the donor window's own offset (a two-point crossover); else to an
            offset drawn independently of it.
        rng: the only source of randomness.

    Returns:
        A new ``(L,)`` array.
    """
    out = row.copy()
    length = int(min((row >= 0).sum(), (donor >= 0).sum()))
    w = window_length(length, max_window, rng)
    s = int(rng.integers(length - w + 1))
    t = s if same_offset else int(rng.integers(length - w + 1))
    out[t:t + w] = donor[s:s + w]
    return out
