"""The device resolver and the seeded block that leaves torch's global random state alone."""

import pytest
import torch

from seqmbo.devices import resolve_device, seeded, seeded_generator, to_device
from seqmbo.errors import InvalidInputError

NO_GPU = not torch.cuda.is_available()


def test_auto_picks_a_gpu_only_when_there_is_one():
    want = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == want
    assert resolve_device(None).type == want
    assert resolve_device(" AUTO ").type == want


def test_cpu_names_and_objects():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")


@pytest.mark.parametrize("bad", ["gpu", "cuda0", "tpu", "", "mps"])
def test_bad_names_say_what_is_allowed(bad):
    with pytest.raises(InvalidInputError, match="auto, cpu, cuda"):
        resolve_device(bad)


def test_non_string_is_refused():
    with pytest.raises(InvalidInputError, match="device must be"):
        resolve_device(3)


@pytest.mark.skipif(not NO_GPU, reason="this machine has a GPU")
@pytest.mark.parametrize("spec", ["cuda", "cuda:0", torch.device("cuda")])
def test_cuda_without_a_gpu_is_a_clear_error(spec):
    with pytest.raises(InvalidInputError, match="no CUDA GPU"):
        resolve_device(spec)


def test_seeded_block_is_seeded_and_restores_the_global_state():
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    with seeded(5):
        a = torch.rand(4)
    assert torch.equal(torch.random.get_rng_state(), before)
    with seeded(5):
        b = torch.rand(4)
    assert torch.equal(a, b)
    torch.manual_seed(5)
    assert torch.equal(a, torch.rand(4))  # the same stream as a global seed (old runs stay identical)


def test_seeded_generator_and_to_device():
    g = seeded_generator(7)
    assert g.device == torch.device("cpu")
    assert torch.equal(torch.rand(3, generator=g), torch.rand(3, generator=torch.Generator().manual_seed(7)))
    x = torch.ones(2)
    assert to_device(x, "cpu") is x
    assert to_device([1, 2], "cpu") == [1, 2]  # no .to: returned as it is
