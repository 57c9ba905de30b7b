"""seqmbo's compact GFlowNet for token sequences (DNA, proteins, SELFIES).

Left-to-right construction (``P_B = 1``), batched sampling in torch, trajectory balance or
sub-trajectory balance, MLP / GRU / causal-transformer policies, reward normalization on
the offline data, exploration (epsilon, temperature, offline designs, replay), and optional
beta conditioning (one sampler for a range of reward exponents).

Example::

    gen = GFlowNetGenerator(loss="subtb", steps=1000)
    designs = gen.propose(reward, n=128, dataset=dataset, rng=np.random.default_rng(0))
"""

from seqmbo.generators.gflownet.config import GFlowNetConfig
from seqmbo.generators.gflownet.constraints import TransitionMask
from seqmbo.generators.gflownet.env import TokenEnv
from seqmbo.generators.gflownet.generator import GFlowNetGenerator
from seqmbo.generators.gflownet.losses import subtrajectory_balance, trajectory_balance, trajectory_log_probs
from seqmbo.generators.gflownet.policies import BetaEmbedding, GRUPolicy, MLPPolicy, TransformerPolicy, make_policy
from seqmbo.generators.gflownet.rewards import RewardCache, RewardShaper, TokenRewards
from seqmbo.generators.gflownet.sampler import sample_trajectories
from seqmbo.generators.gflownet.trainer import GFlowNetTrainer, LogZHead, ReplayBuffer

__all__ = [
    "BetaEmbedding",
    "GFlowNetConfig",
    "GFlowNetGenerator",
    "GFlowNetTrainer",
    "GRUPolicy",
    "LogZHead",
    "MLPPolicy",
    "ReplayBuffer",
    "RewardCache",
    "RewardShaper",
    "TokenEnv",
    "TokenRewards",
    "TransformerPolicy",
    "TransitionMask",
    "make_policy",
    "sample_trajectories",
    "subtrajectory_balance",
    "trajectory_balance",
    "trajectory_log_probs",
]
