"""Molecule proxies on SMILES: a Morgan-fingerprint MLP ensemble (default) and a GINE GNN ensemble.

Both train member-batched networks (output ``(n, M)``) on standardized scores with
:func:`~seqmbo.proxies.ensemble.train_members`, exactly like the sequence ensembles; members
differ by initialisation (and, with ``TrainConfig.bootstrap``, by Poisson(1) bootstrap weights).

The fingerprint network reads sparse fingerprints through an ``EmbeddingBag`` (a linear layer
that touches only the ~50 set bits of a molecule): a dense 2048-input layer repeated for each
member costs ~10x more per step on CPU.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from seqmbo.devices import DeviceLike, resolve_device, seeded, to_device
from seqmbo.errors import InvalidInputError
from seqmbo.proxies.base import Prediction, Standardizer
from seqmbo.proxies.ensemble import TrainConfig, train_members
from seqmbo.proxies.nets import GroupedLinear, MCDropout
from seqmbo.spaces.molecule import memo_of, memo_store, parse_smiles, parser_of

FINGERPRINT_MEMO = 50_000  # fingerprint rows a molecule space keeps (about 0.6 kB each)


# ---------------------------------------------------------------------------- fingerprints
class SparseRows:
    """Rows of a sparse matrix in CSR form that index like a tensor (``rows[idx]``, ``rows.shape``).

    Attributes:
        indptr: ``(n + 1,)`` int64 row starts.
        indices: ``(nnz,)`` int64 column ids.
        values: ``(nnz,)`` float32 values.
        dim: number of columns.
    """

    def __init__(self, indptr: torch.Tensor, indices: torch.Tensor, values: torch.Tensor, dim: int) -> None:
        self.indptr, self.indices, self.values, self.dim = indptr, indices, values, dim

    @property
    def shape(self) -> tuple[int, int]:
        return (self.indptr.shape[0] - 1, self.dim)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, idx) -> "SparseRows":
        device = self.indptr.device
        if isinstance(idx, slice):
            idx = torch.arange(self.shape[0], device=device)[idx]
        idx = torch.as_tensor(idx, dtype=torch.long, device=device).reshape(-1)
        starts = self.indptr[idx]
        lens = self.indptr[idx + 1] - starts
        ptr = torch.zeros(idx.shape[0] + 1, dtype=torch.long, device=device)
        ptr[1:] = torch.cumsum(lens, 0)
        pos = torch.repeat_interleave(starts - ptr[:-1], lens) + torch.arange(int(ptr[-1]), device=device)
        return SparseRows(ptr, self.indices[pos], self.values[pos], self.dim)

    def to(self, device: torch.device | str) -> "SparseRows":
        """The same rows on ``device``."""
        return SparseRows(self.indptr.to(device), self.indices.to(device), self.values.to(device), self.dim)

    def dense(self) -> torch.Tensor:
        """The rows as a dense ``(n, dim)`` tensor."""
        device = self.indptr.device
        out = torch.zeros(self.shape, device=device)
        rows = torch.repeat_interleave(torch.arange(self.shape[0], device=device), self.indptr[1:] - self.indptr[:-1])
        out[rows, self.indices] = self.values
        return out


def morgan_fingerprints(smiles: Sequence[str], bits: int = 2048, radius: int = 2, counts: bool = True,
                        parse: Callable[[object], object] = parse_smiles, memo: dict | None = None) -> SparseRows:
    """Folded Morgan fingerprints of SMILES as :class:`SparseRows` ``(n, bits)``.

    Args:
        smiles: the molecules.
        bits: fingerprint length.
        radius: Morgan radius (2 ~ ECFP4).
        counts: values ``log(1 + count)`` of each folded bit; else 1 for every set bit.
        parse: the SMILES parser (a space's cached ``mol``: see :func:`~seqmbo.spaces.molecule.parser_of`).
        memo: a dict kept between calls, SMILES -> its row (for these ``bits``, ``radius`` and
            ``counts`` only): an online run refits on every labelled molecule each round, and a
            remembered row is neither parsed nor fingerprinted again.

    Raises:
        InvalidInputError: a SMILES RDKit cannot parse (naming it).
    """
    from rdkit.Chem.rdFingerprintGenerator import GetMorganGenerator

    gen = None
    rows = []
    for i, s in enumerate(smiles):
        row = memo.get(s) if memo is not None else None
        if row is None:
            mol = parse(s)
            if mol is None:
                raise InvalidInputError(f"molecule {i + 1} ({s!r}) is not a valid SMILES")
            gen = gen or GetMorganGenerator(radius=radius, fpSize=bits)
            elems = gen.GetCountFingerprint(mol).GetNonzeroElements()
            keys = np.array(sorted(elems), dtype=np.int64)
            counted = np.array([elems[k] for k in keys.tolist()], dtype=np.float64)
            row = (keys, (np.log1p(counted) if counts else np.ones(len(keys))).astype(np.float32))
            if memo is not None:
                memo_store(memo, s, row, FINGERPRINT_MEMO)
        rows.append(row)
    ptr = np.zeros(len(rows) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(r[0]) for r in rows])
    cols = np.concatenate([r[0] for r in rows]) if rows else np.zeros(0, dtype=np.int64)
    vals = np.concatenate([r[1] for r in rows]) if rows else np.zeros(0, dtype=np.float32)
    return SparseRows(torch.from_numpy(ptr), torch.from_numpy(cols), torch.from_numpy(vals), bits)


class FingerprintNet(nn.Module):
    """``M`` MLPs over sparse fingerprints ``(n, D)``: output ``(n, M)``.

    The first layer of all members is one ``EmbeddingBag(D, M * hidden)`` weighted by the
    fingerprint values; further layers are :class:`~seqmbo.proxies.nets.GroupedLinear`.
    """

    def __init__(self, in_dim: int, members: int = 1, hidden: int = 128, layers: int = 2, dropout: float = 0.0) -> None:
        super().__init__()
        if layers < 1 or hidden < 1:
            raise InvalidInputError(f"a fingerprint MLP needs layers >= 1 and hidden >= 1, got {layers}, {hidden}")
        self.members, self.hidden = members, hidden
        self.first = nn.EmbeddingBag(in_dim, members * hidden, mode="sum")
        bound = 1.0 / math.sqrt(32.0)  # like nn.Linear over the ~32 set bits a molecule has
        nn.init.uniform_(self.first.weight, -bound, bound)
        self.bias = nn.Parameter(torch.zeros(members * hidden))
        mods: list[nn.Module] = [nn.ReLU(), MCDropout(dropout)]
        for _ in range(layers - 1):
            mods += [GroupedLinear(members, hidden, hidden), nn.ReLU(), MCDropout(dropout)]
        mods.append(GroupedLinear(members, hidden, 1))
        self.rest = nn.Sequential(*mods)

    def forward(self, x: SparseRows | torch.Tensor) -> torch.Tensor:
        if isinstance(x, torch.Tensor):  # dense (n, D)
            h = x @ self.first.weight + self.bias
        else:
            h = self.first(x.indices, x.indptr[:-1], per_sample_weights=x.values) + self.bias
        h = h.view(-1, self.members, self.hidden)
        return self.rest(h).squeeze(2)


# ---------------------------------------------------------------------------- graphs
class GINENet(nn.Module):
    """``M`` GINE graph networks (Hu et al. 2020): atom embedding, ``layers`` GINEConv with
    residuals, add + mean pooling, MLP head; output ``(n_graphs, M)``."""

    def __init__(self, members: int = 1, hidden: int = 64, layers: int = 3, dropout: float = 0.0) -> None:
        super().__init__()
        self.members = members
        self.nets = nn.ModuleList(_GINEMember(hidden, layers, dropout) for _ in range(members))

    def forward(self, batch) -> torch.Tensor:
        return torch.stack([net(batch) for net in self.nets], dim=1)


class _GINEMember(nn.Module):
    def __init__(self, hidden: int, layers: int, dropout: float) -> None:
        super().__init__()
        from seqmbo.encoders.graphs import GraphTrunk

        self.trunk = GraphTrunk(hidden, layers)
        self.head = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.ReLU(), MCDropout(dropout), nn.Linear(hidden, 1))

    def forward(self, batch) -> torch.Tensor:
        return self.head(self.trunk(batch)).squeeze(-1)


# ---------------------------------------------------------------------------- proxies
class _MoleculeEnsemble:
    """Shared fit/predict of the molecule ensembles; subclasses give ``_featurize`` and ``_build``."""

    predict_batch = 4096
    warm_start = False  # online rounds: a refit starts from the last fit's weights

    def __init__(self, space=None, members: int = 5, train: TrainConfig | None = None,
                 device: DeviceLike = "cpu", **net) -> None:
        if members < 1:
            raise InvalidInputError(f"an ensemble needs at least 1 member, got {members}")
        self.space, self.members = space, int(members)
        self.device = resolve_device(device)
        self.train_cfg = train or TrainConfig()
        self.net_options = net
        self.model: nn.Module | None = None
        self.scaler: Standardizer | None = None

    def _featurize(self, designs: Sequence[str]):
        raise NotImplementedError

    def _build(self) -> nn.Module:
        raise NotImplementedError

    def fit(self, designs: Sequence[str], y: np.ndarray):
        y = np.asarray(y, dtype=np.float64)
        if len(designs) != y.shape[0] or y.shape[0] == 0:
            raise InvalidInputError(f"fit needs as many scores as designs (>0), got {len(designs)} and {y.shape[0]}")
        with seeded(self.train_cfg.seed, self.device):  # weight init and dropout; global state restored
            try:
                warm = self.warm_start and self.model is not None  # warm start: go on from the last fit
                if not warm:
                    self.model = self._build().to(self.device)
            except TypeError as e:  # an option the network does not take
                raise InvalidInputError(f"proxy network {type(self).__name__}: {e}") from None
            self.scaler = Standardizer.fit(y)
            z = torch.as_tensor(self.scaler.forward(y), dtype=torch.float32, device=self.device)
            train_members(self.model, self._inputs(list(designs)), z, self.train_cfg.for_refit(warm))
        return self

    def _inputs(self, designs: Sequence[str]):
        """Featurized ``designs`` on the proxy's device (graph sets stay on the CPU; their batches move)."""
        return to_device(self._featurize(designs), self.device)

    def member_outputs(self, x) -> torch.Tensor:
        """Member predictions in score units ``(n, M)`` from featurized designs (on the proxy's device)."""
        if self.model is None or self.scaler is None:
            raise InvalidInputError("the proxy must be fitted before it predicts")
        return self.model(to_device(x, self.device)) * self.scaler.sd + self.scaler.mu

    def predict(self, designs: Sequence[str], batch_size: int | None = None) -> Prediction:
        """Mean (and std across members, or ``None`` for one member) ``(n,)`` of SMILES ``designs``."""
        batch_size = batch_size or self.predict_batch
        designs = list(designs)
        means, stds = [], []
        with torch.no_grad():
            for s in range(0, len(designs), batch_size):
                out = self.member_outputs(self._inputs(designs[s : s + batch_size]))
                means.append(out.mean(dim=1).cpu().numpy())
                stds.append(out.std(dim=1, unbiased=False).cpu().numpy())
        mean = np.concatenate(means).astype(np.float64) if means else np.zeros(0)
        std = (np.concatenate(stds).astype(np.float64) if stds else np.zeros(0)) if self.members > 1 else None
        return Prediction(mean, std)


class FingerprintEnsemble(_MoleculeEnsemble):
    """A deep ensemble of MLPs on Morgan fingerprints (the default molecule proxy).

    Args:
        space: the molecule space (unused; designs are SMILES).
        members: ensemble size (1: a single MLP, ``std = None``).
        train: a :class:`~seqmbo.proxies.ensemble.TrainConfig`.
        device: where the networks live and train (``"auto"``, ``"cpu"``, ``"cuda"``).
        **net: ``bits`` (2048), ``radius`` (2), ``counts`` (True: log(1 + count) features),
            ``hidden`` (128), ``layers`` (2), ``dropout`` (0).
    """

    def __init__(self, space=None, members: int = 5, train: TrainConfig | None = None,
                 device: DeviceLike = "cpu", **net) -> None:
        super().__init__(space, members, train, device, **net)
        self.bits = int(net.pop("bits", 2048))
        self.radius = int(net.pop("radius", 2))
        self.counts = bool(net.pop("counts", True))
        self.net_options = {**net, "bits": self.bits, "radius": self.radius, "counts": self.counts}
        self._net = net

    def _featurize(self, designs: Sequence[str]) -> SparseRows:
        memo = memo_of(self.space, f"morgan{self.bits},{self.radius},{self.counts}")
        return morgan_fingerprints(designs, self.bits, self.radius, self.counts, parser_of(self.space), memo)

    def _build(self) -> nn.Module:
        return FingerprintNet(self.bits, self.members, **self._net)


class GraphEnsemble(_MoleculeEnsemble):
    """A deep ensemble of GINE graph networks on RDKit molecular graphs (``proxy.model=gnn``).

    Args:
        space: the molecule space (unused; designs are SMILES).
        members: ensemble size.
        train: a :class:`~seqmbo.proxies.ensemble.TrainConfig`.
        device: where the networks live and train (``"auto"``, ``"cpu"``, ``"cuda"``).
        **net: ``hidden`` (64), ``layers`` (3), ``dropout`` (0).
    """

    predict_batch = 512

    def _featurize(self, designs: Sequence[str]):
        from seqmbo.encoders.graphs import GraphSet, smiles_to_graphs

        return GraphSet(smiles_to_graphs(designs, parser_of(self.space)))

    def _build(self) -> nn.Module:
        return GINENet(self.members, **self.net_options)

    def member_outputs(self, x) -> torch.Tensor:
        from seqmbo.encoders.graphs import GraphSet

        if isinstance(x, GraphSet):
            x = x[:]
        return super().member_outputs(x)


MOLECULE_MODELS = ("fingerprint", "gnn")


def make_molecule_proxy(proxy: str, space, train: TrainConfig, device: DeviceLike = "cpu", **net):
    """``ensemble`` (fingerprint MLPs, or GNNs with ``model="gnn"``) or ``mlp`` (one fingerprint MLP)."""
    model = str(net.pop("model", "fingerprint"))
    if model not in MOLECULE_MODELS:
        raise InvalidInputError(f"unknown molecule proxy model {model!r}; use one of {', '.join(MOLECULE_MODELS)}")
    if proxy == "mlp":
        if model != "fingerprint":
            raise InvalidInputError("proxy 'mlp' is a single fingerprint MLP; use proxy 'ensemble' with model=gnn")
        return FingerprintEnsemble(space, members=1, train=train, device=device, **net)
    cls = GraphEnsemble if model == "gnn" else FingerprintEnsemble
    return cls(space, members=int(net.pop("members", 5)), train=train, device=device, **net)
