"""Searches in a VAE's latent space for codes whose decoded designs score high.

Every method works on a :class:`LatentObjective` (codes ``(m, d)`` -> rewards of the decoded
designs ``(m,)``, all evaluated designs kept in ``pool``) inside a box ``(lo, hi)`` of the
encoded data, started from the codes of the best offline designs:

- :func:`gradient_search`: gradient ascent on a small MLP ensemble fitted from codes to scores;
- :func:`cma_search`: CMA-ES (the ``cma`` package) on the decoded reward, restarted from the next
  best start when it stops;
- :func:`bo_search`: batch Bayesian optimization (BoTorch ``SingleTaskGP``, qLogEI or qUCB) inside a
  TuRBO-style trust region around the best code (doubled after successes, halved after failures).
  With several objectives (a :class:`VectorObjective`) each batch is ParEGO's (Knowles 2006): a
  preference ``w`` is drawn, the evaluated vectors are min-max normalized over the evaluated codes and
  scalarized under ``w`` (:func:`seqmbo.preferences.scalarize_preferences`), and the batch is that
  scalar's — over the batches the search is pulled towards every part of the front.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import torch

from seqmbo._optional import require
from seqmbo.preferences import draw_preferences, scalarize_preferences

log = logging.getLogger(__name__)


@dataclass
class LatentObjective:
    """Decoded reward of codes, with every evaluated design remembered.

    Args:
        vae: a fitted encoder with ``decode(z (m, d), temperature, generator) -> list[str]``.
        reward: the run's reward over designs.
        samples: designs decoded per code: the greedy one and ``samples - 1`` sampled at
            ``temperature`` (noise from ``generator``); a code's reward is its best design's.

    Attributes:
        pool: every evaluated design and its reward.
        evaluations: codes evaluated so far.
        best: the design each code of the latest call was scored by (its best decoded design).
    """

    vae: object
    reward: object
    samples: int = 1
    temperature: float = 1.0
    generator: torch.Generator | None = None
    pool: dict[str, float] = field(default_factory=dict)
    evaluations: int = 0
    best: list[str] = field(default_factory=list)

    def __call__(self, z: np.ndarray) -> np.ndarray:
        """Rewards ``(m,)`` of the designs decoded from ``z`` ``(m, d)`` (``-inf`` for invalid designs)."""
        z = np.asarray(z, dtype=np.float64)
        designs = self.vae.decode(z)
        out = self.score(designs)
        self.evaluations += len(z)
        r, self.best = self._sampled(z, designs)
        return r if out.ndim == 1 else out

    def _sampled(self, z: np.ndarray, designs: list[str]) -> tuple[np.ndarray, list[str]]:
        """Each code's best reward ``(m,)`` and design among ``designs`` (greedy) and its sampled designs."""
        k = self.samples - 1
        if k < 1:
            return np.array([self.pool[d] for d in designs], dtype=np.float64), designs
        extra = self.vae.decode(np.repeat(z, k, axis=0), self.temperature, self.generator)
        self.score(extra)
        options = np.column_stack([np.asarray(designs, dtype=object), np.asarray(extra, dtype=object).reshape(len(z), k)])
        r = np.vectorize(self.pool.__getitem__, otypes=[np.float64])(options)
        pick = np.argmax(r, axis=1)
        return r[np.arange(len(z)), pick], [str(d) for d in options[np.arange(len(z)), pick]]

    def score(self, designs: list[str]) -> np.ndarray:
        """Rewards ``(m,)`` of ``designs``, each new one scored once and kept in ``pool``."""
        new = [d for d in dict.fromkeys(designs) if d not in self.pool]
        if new:
            r = np.asarray(self.reward(new), dtype=np.float64)
            self.pool.update(zip(new, np.where(np.isnan(r), -np.inf, r).tolist()))
        return np.array([self.pool[d] for d in designs], dtype=np.float64)


@dataclass
class VectorObjective(LatentObjective):
    """:class:`LatentObjective` whose calls give the reward vectors ``(k, m)`` of a reward with several
    objectives (``reward.vector``; ``-inf`` rows for invalid designs); ``pool`` keeps the scalar reward."""

    vectors: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def m(self) -> int:
        return int(self.reward.n_objectives)

    def score(self, designs: list[str]) -> np.ndarray:
        super().score(designs)
        new = [d for d in dict.fromkeys(designs) if d not in self.vectors]
        if new:
            V = np.asarray(self.reward.vector(new), dtype=np.float64).reshape(len(new), self.m)
            self.vectors.update(zip(new, np.where(np.isnan(V), -np.inf, V)))
        return np.array([self.vectors[d] for d in designs], dtype=np.float64).reshape(len(designs), self.m)


def parego_scalar(Y: np.ndarray, w: np.ndarray, kind: str, bounds: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """ParEGO's scalar ``(k,)`` of reward vectors ``Y (k, m)`` under preference ``w (m,)``: each column
    min-max normalized with ``bounds`` ``(lo, hi)``, then scalarized; ``-inf`` for invalid rows."""
    lo, hi = bounds
    Z = (Y - lo) / np.where(hi > lo, hi - lo, 1.0)
    ok = np.isfinite(Z).all(axis=1)
    out = np.full(len(Y), -np.inf)
    if ok.any():
        out[ok] = scalarize_preferences(torch.as_tensor(Z[ok]), torch.as_tensor(w), kind).numpy()
    return out


def _finite(r: np.ndarray, floor: float) -> np.ndarray:
    """``r`` with non-finite values replaced by ``floor`` (optimizers need numbers)."""
    return np.where(np.isfinite(r), r, floor)


# ---------------------------------------------------------------------- gradient
def gradient_search(objective: LatentObjective, codes: np.ndarray, y: np.ndarray, starts: np.ndarray,
                    bounds: tuple[np.ndarray, np.ndarray], cfg, seed: int,
                    trace: list[tuple[int, np.ndarray, np.ndarray]] | None = None) -> None:
    """Ascend a latent MLP ensemble from ``starts`` ``(k, d)``, decoding every ``cfg.decode_every`` steps.

    Args:
        codes: encoded offline designs ``(N, d)``; ``y`` their scores ``(N,)``.
        trace: when given, ``(step, codes (k, d), the ensemble's mean prediction in score units (k,))``
            is appended at step 0 and at every decoding step (the search itself is unchanged).
    """
    models = _fit_latent_mlps(codes, y, cfg, seed)
    lo, hi = (torch.as_tensor(b, dtype=torch.float32) for b in bounds)
    z = torch.as_tensor(starts, dtype=torch.float32).clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=cfg.step_size, maximize=True)
    objective(starts)
    record = _tracer(trace, models, y)
    record(0, z)
    with torch.enable_grad():
        for step in range(1, cfg.steps + 1):
            pred = torch.stack([m(z).squeeze(-1) for m in models]).mean(0)
            opt.zero_grad(set_to_none=True)
            pred.sum().backward()
            opt.step()
            with torch.no_grad():
                z.copy_(torch.maximum(torch.minimum(z, hi), lo))
            if step % cfg.decode_every == 0 or step == cfg.steps:
                objective(z.detach().numpy())
                record(step, z)


def _tracer(trace: list | None, models: list[torch.nn.Module], y: np.ndarray):
    """A function ``(step, z)`` appending ``(step, codes, mean prediction in score units)`` to ``trace``."""
    scale, shift = float(y.std() or 1.0), float(y.mean())

    def record(step: int, z: torch.Tensor) -> None:
        if trace is None:
            return
        with torch.no_grad():
            pred = torch.stack([m(z).squeeze(-1) for m in models]).mean(0).double().numpy()
        trace.append((step, z.detach().double().numpy().copy(), pred * scale + shift))

    return record


def _fit_latent_mlps(codes: np.ndarray, y: np.ndarray, cfg, seed: int) -> list[torch.nn.Module]:
    """``cfg.proxy_members`` MLPs from codes ``(N, d)`` to standardized scores, full-batch Adam."""
    x = torch.as_tensor(codes, dtype=torch.float32)
    t = torch.as_tensor((y - y.mean()) / (y.std() or 1.0), dtype=torch.float32)
    models = []
    with torch.random.fork_rng(devices=[]), torch.enable_grad():
        torch.manual_seed(seed)
        for _ in range(cfg.proxy_members):
            m = torch.nn.Sequential(torch.nn.Linear(x.shape[1], cfg.proxy_hidden), torch.nn.ReLU(),
                                    torch.nn.Linear(cfg.proxy_hidden, cfg.proxy_hidden), torch.nn.ReLU(),
                                    torch.nn.Linear(cfg.proxy_hidden, 1))
            opt = torch.optim.Adam(m.parameters(), lr=1e-2, weight_decay=1e-4)
            for _ in range(cfg.proxy_steps):
                loss = torch.nn.functional.mse_loss(m(x).squeeze(-1), t)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            models.append(m.eval().requires_grad_(False))
    return models


# ---------------------------------------------------------------------- CMA-ES
def cma_search(objective: LatentObjective, starts: np.ndarray, bounds: tuple[np.ndarray, np.ndarray],
               cfg, seed: int) -> None:
    """CMA-ES on ``-reward`` from each start ``(k, d)`` in turn until ``cfg.budget`` codes are evaluated.

    The ``cma`` package seeds NumPy's global generator; its state is restored afterwards.
    """
    cma = require("cma", "generator 'latent' with method 'cma'")
    lo, hi = bounds
    sigma0 = cfg.sigma * float(np.mean(hi - lo))
    state = np.random.get_state()
    try:
        for i in range(len(starts)):
            opts = {"bounds": [lo.tolist(), hi.tolist()], "seed": seed + i + 1, "verbose": -9,
                    "popsize": cfg.batch, "maxfevals": cfg.budget - objective.evaluations}
            es = cma.CMAEvolutionStrategy(starts[i].tolist(), sigma0, opts)
            while not es.stop() and objective.evaluations < cfg.budget:
                xs = es.ask()
                r = objective(np.asarray(xs))
                floor = float(np.min(r[np.isfinite(r)], initial=0.0)) - 1.0
                es.tell(xs, (-_finite(r, floor)).tolist())
            if objective.evaluations >= cfg.budget:
                return
    finally:
        np.random.set_state(state)


# ---------------------------------------------------------------------- BO
@dataclass
class TrustRegion:
    """TuRBO's trust region: side ``length`` in the unit cube, doubled after ``succ_tol``
    successive successes, halved after ``fail_tol`` successive failures, reset below ``min_length``."""

    length: float = 0.8
    min_length: float = 0.5**7
    max_length: float = 1.6
    succ_tol: int = 3
    fail_tol: int = 3
    succ: int = 0
    fail: int = 0

    def update(self, improved: bool) -> None:
        self.succ, self.fail = (self.succ + 1, 0) if improved else (0, self.fail + 1)
        if self.succ >= self.succ_tol:
            self.length, self.succ = min(2 * self.length, self.max_length), 0
        elif self.fail >= self.fail_tol:
            self.length, self.fail = self.length / 2, 0
        if self.length < self.min_length:
            self.length = TrustRegion.length  # restart the region around the best code
            log.debug("latent bo: trust region restarted")


def bo_search(objective: LatentObjective, init: np.ndarray, bounds: tuple[np.ndarray, np.ndarray],
              cfg, seed: int) -> None:
    """Batch BO with a TuRBO trust region, starting from codes ``init`` ``(k, d)``, until ``cfg.budget``;
    ParEGO batches when ``objective`` is a :class:`VectorObjective` (preferences from
    Dirichlet(``cfg.preference_alpha``), ``cfg.scalarization``)."""
    require("botorch", "generator 'latent' with method 'bo'")
    lo, hi = bounds
    y = objective(init)
    x = reencoded(objective, (init - lo) / (hi - lo), bounds) if cfg.reencode else (init - lo) / (hi - lo)
    multi = isinstance(objective, VectorObjective)
    prefs = np.random.default_rng(seed)
    tr = TrustRegion(length=cfg.trust_length, fail_tol=max(2, int(np.ceil(len(lo) / cfg.batch))))
    step = 0
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        while objective.evaluations < cfg.budget:
            target = y
            if multi:  # this batch's preference, the observed range as ParEGO's normalization
                w = draw_preferences(prefs, 1, objective.m, cfg.preference_alpha)[0]
                ok = np.isfinite(y).all(axis=1)
                span = (y[ok].min(0), y[ok].max(0)) if ok.any() else (np.zeros(objective.m), np.ones(objective.m))
                target = parego_scalar(y, w, cfg.scalarization, span)
            best = float(np.max(target[np.isfinite(target)], initial=-np.inf))
            xn = _bo_batch(x, target, tr, cfg, seed + step)
            yn = objective(lo + xn * (hi - lo))
            if cfg.reencode:
                xn = reencoded(objective, xn, bounds)
            tn = parego_scalar(yn, w, cfg.scalarization, span) if multi else yn
            tr.update(bool(np.any(tn > best + 1e-3 * abs(best))))
            x, y = np.vstack([x, xn]), np.concatenate([y, yn])
            step += 1


def reencoded(objective: LatentObjective, x: np.ndarray, bounds: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Unit-cube codes ``x`` ``(m, d)`` of the latest call, each replaced by the code of the design it was
    scored by (``objective.best``, re-encoded; kept where that design is invalid or not encodable), so
    that the GP learns each design's reward at that design's own code."""
    from seqmbo.encoders.vae import encodable

    lo, hi = bounds
    best = objective.best
    ok = np.isfinite([objective.pool[d] for d in best]) & encodable(objective.vae.space, best)
    out = x.copy()
    if ok.any():
        z = objective.vae.encode([best[i] for i in np.flatnonzero(ok)])
        out[ok] = np.clip((z - lo) / (hi - lo), 0.0, 1.0)
    return out


def _bo_batch(x: np.ndarray, y: np.ndarray, tr: TrustRegion, cfg, seed: int) -> np.ndarray:
    """The next ``cfg.batch`` points ``(q, d)`` in the unit cube: a GP on ``(x, y)`` and the acquisition
    maximized inside the trust region around the best point."""
    from botorch.acquisition import qLogExpectedImprovement, qUpperConfidenceBound
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from botorch.models.transforms import Standardize
    from botorch.optim import optimize_acqf
    from gpytorch.mlls import ExactMarginalLogLikelihood

    ok = np.isfinite(y)
    floor = float(y[ok].min()) - 1.0 if ok.any() else 0.0
    yf = _finite(y, floor)
    keep = _gp_rows(yf, cfg.gp_rows)
    X = torch.as_tensor(x[keep], dtype=torch.float64)
    Y = torch.as_tensor(yf[keep], dtype=torch.float64).unsqueeze(-1)
    model = SingleTaskGP(X, Y, outcome_transform=Standardize(1))
    fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model),
                     optimizer_kwargs={"options": {"maxiter": cfg.opt_iters}})
    center = X[int(Y.argmax())]
    ls = model.covar_module.lengthscale.detach().reshape(-1) if hasattr(model.covar_module, "lengthscale") \
        else torch.ones(X.shape[1], dtype=torch.float64)
    w = ls / ls.prod().pow(1.0 / len(ls))
    box = torch.stack([(center - w * tr.length / 2).clamp(0, 1), (center + w * tr.length / 2).clamp(0, 1)])
    if cfg.acquisition == "qucb":
        acq = qUpperConfidenceBound(model, beta=cfg.ucb_beta)
    else:
        acq = qLogExpectedImprovement(model, best_f=Y.max())
    cand, _ = optimize_acqf(acq, bounds=box, q=cfg.batch, num_restarts=cfg.restarts, raw_samples=cfg.raw_samples,
                            options={"seed": seed, "maxiter": cfg.opt_iters})
    return cand.detach().numpy()


def _gp_rows(y: np.ndarray, limit: int) -> np.ndarray:
    """Indices of at most ``limit`` rows: the best half of the limit and the most recent rest."""
    if len(y) <= limit:
        return np.arange(len(y))
    best = np.argsort(-y, kind="stable")[: limit // 2]
    recent = np.setdiff1d(np.arange(len(y)), best)[-(limit - len(best)):]
    return np.sort(np.concatenate([best, recent]))
