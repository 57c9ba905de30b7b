"""Member-batched networks: ``M`` independent models evaluated in one forward pass.

Deep ensembles train several small networks with different initialisations. Running them as
one network with grouped convolutions (``groups=M``) keeps each member's weights separate while
paying one kernel launch per layer instead of ``M`` — the ensemble costs little more than one net.
All networks map soft one-hot designs ``(n, L, V)`` to member outputs ``(n, M)``.
"""

from __future__ import annotations

import torch
from torch import nn


class GroupedCNN(nn.Module):
    """``M`` 1-D CNNs over one-hot sequences: two convolutions, global max pool, MLP head.

    Args:
        length: design length ``L`` (padding positions are all-zero rows).
        vocab: alphabet size ``V``.
        members: ensemble size ``M``.
        channels: convolution channels per member.
        kernel: convolution width.
        hidden: head width per member.
        dropout: dropout before the head (used by MC dropout).
    """

    def __init__(self, length: int, vocab: int, members: int = 1, channels: int = 32, kernel: int = 5,
                 hidden: int = 64, dropout: float = 0.0) -> None:
        super().__init__()
        self.members, self.vocab = members, vocab
        k = min(kernel, max(1, length))
        pad = k // 2
        m = members
        self.body = nn.Sequential(
            nn.Conv1d(m * vocab, m * channels, k, padding=pad, groups=m), nn.ReLU(),
            nn.Conv1d(m * channels, m * channels, k, padding=pad, groups=m), nn.ReLU(),
        )
        self.head = nn.Sequential(
            nn.Dropout(dropout),
            nn.Conv1d(m * channels, m * hidden, 1, groups=m), nn.ReLU(),
            nn.Dropout(dropout),
            nn.Conv1d(m * hidden, m, 1, groups=m),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` ``(n, L, V)`` -> ``(n, M)``."""
        h = x.transpose(1, 2).repeat(1, self.members, 1)  # (n, M*V, L)
        h = self.body(h).amax(dim=2, keepdim=True)  # (n, M*C, 1)
        return self.head(h).squeeze(2)


class GroupedMLP(nn.Module):
    """``M`` MLPs over flattened inputs ``(n, D)`` or ``(n, L, V)``; output ``(n, M)``."""

    def __init__(self, in_dim: int, members: int = 1, hidden: int = 256, layers: int = 2, dropout: float = 0.0) -> None:
        super().__init__()
        self.members = members
        m = members
        mods: list[nn.Module] = []
        d = in_dim
        for _ in range(layers):
            mods += [nn.Conv1d(m * d, m * hidden, 1, groups=m), nn.ReLU(), nn.Dropout(dropout)]
            d = hidden
        mods.append(nn.Conv1d(m * d, m, 1, groups=m))
        self.net = nn.Sequential(*mods)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.reshape(x.shape[0], -1, 1).repeat(1, self.members, 1)
        return self.net(h).squeeze(2)
