"""Graph edits of molecules (mutations, crossover) and evolution with ``operators="graph"``."""

import numpy as np
import pytest
from rdkit import Chem

from seqmbo.data import Dataset
from seqmbo.errors import InvalidInputError
from seqmbo.generators import graph_edits as ge
from seqmbo.generators import make_generator
from seqmbo.spaces import MoleculeSpace

DRUGS = ["CC(=O)Oc1ccccc1C(=O)O", "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "CN1C=NC2=C1C(=O)N(C(=O)N2C)C",
         "OC(=O)CCc1ccc(Cl)cc1", "CCN(CC)CCNC(=O)c1ccc(N)cc1", "COc1ccc2[nH]cc(CCN)c2c1",
         "O=C(c1ccccc1)N1CCC(O)CC1"]


def heavy(smiles):
    return Chem.MolFromSmiles(smiles).GetNumHeavyAtoms()


@pytest.mark.parametrize("kind", ge.MUTATIONS)
def test_each_mutation_gives_valid_changed_molecules(kind):
    rng, made = np.random.default_rng(0), []
    for smiles in DRUGS * 5:
        rw = ge._editable(smiles)
        if getattr(ge, f"_{kind}")(rw, rng, ["C", "N", "O", "Cl"]):
            made.append((smiles, ge._finish(rw)))
    valid = [(s, c) for s, c in made if c is not None]
    assert len(valid) >= 0.5 * len(made) > 0
    assert all(Chem.MolFromSmiles(c) is not None for _, c in valid)
    assert all(Chem.CanonSmiles(s) != c for s, c in valid)
    sizes = [heavy(c) - heavy(s) for s, c in valid]
    if kind == "append" or kind == "insert":
        assert set(sizes) == {1}
    if kind == "delete":
        assert set(sizes) == {-1}
    if kind in ("element", "bond", "ring_close", "ring_open"):
        assert set(sizes) == {0}


def test_aromatic_rings_are_not_opened_and_their_bonds_keep_their_order():
    rng = np.random.default_rng(1)
    for _ in range(20):
        assert not ge._ring_open(ge._editable("c1ccccc1"), rng, ["C"])
        assert not ge._bond(ge._editable("c1ccccc1"), rng, ["C"])
    assert ge._ring_open(ge._editable("C1CCCCC1"), rng, ["C"])


def test_crossover_joins_a_side_of_each_parent():
    rng = np.random.default_rng(0)
    a, b = "FC(F)(F)c1ccccc1CCCO", "Clc1ccc(cc1)N1CCNCC1"
    children = [c for c in (ge.crossover(a, b, rng) for _ in range(50)) if c is not None]
    assert len(children) == 50
    mols = [Chem.MolFromSmiles(c) for c in children]
    assert all(m is not None and len(Chem.GetMolFrags(m)) == 1 for m in mols)
    assert all(m.GetNumHeavyAtoms() < heavy(a) + heavy(b) for m in mols)
    # some children hold fluorine from a and chlorine from b at once
    assert any("F" in c and "Cl" in c for c in children)
    assert ge.crossover("C1CCCCC1", b, rng) is None  # no acyclic single bond to cut in the ring


def test_offspring_is_reproducible_and_uses_the_given_elements():
    first = ge.offspring(DRUGS, 40, np.random.default_rng(3), 0.5, ["C", "N", "O"])
    again = ge.offspring(DRUGS, 40, np.random.default_rng(3), 0.5, ["C", "N", "O"])
    assert first == again and len(first) >= 35
    assert ge.elements_of(DRUGS) == ["C", "N", "O", "Cl"]
    assert not any(Chem.MolFromSmiles(c).HasSubstructMatch(Chem.MolFromSmarts("[S,Br,I,F]")) for c in first)


class Carbons:
    """Reward: number of heavy atoms, capped at 20 (a molecule-sized optimum the data lacks)."""

    def __call__(self, designs):
        return np.array([min(heavy(d), 20) for d in designs], dtype=float)


def test_graph_evolution_climbs_and_returns_valid_new_molecules():
    space = MoleculeSpace.from_smiles(DRUGS, max_selfies_length=60)
    data = Dataset(DRUGS, Carbons()(DRUGS), space)
    gen = make_generator("evolution", operators="graph", generations=4, population=16, offspring=32, seed_top=6)
    out = gen.propose(Carbons(), 8, data, np.random.default_rng(0))  # ranked by the reward
    assert len(out) >= 8 and space.is_valid(out).all() and not set(out) & set(DRUGS)
    assert Carbons()(out[:8]).min() > Carbons()(DRUGS).max()
    again = make_generator("evolution", operators="graph", generations=4, population=16, offspring=32, seed_top=6)
    assert again.propose(Carbons(), 8, data, np.random.default_rng(0)) == out


def test_unknown_operators_are_refused():
    with pytest.raises(InvalidInputError, match="operators must be 'tokens' or 'graph'"):
        make_generator("evolution", operators="atoms")


class Phosphorus:
    """Reward: phosphorus atoms (none among the seeds; the space's data holds one molecule with it)."""

    def __call__(self, designs):
        return np.array([sum(a.GetSymbol() == "P" for a in Chem.MolFromSmiles(d).GetAtoms()) for d in designs],
                        dtype=float)


def test_graph_evolution_draws_new_atoms_from_the_space_or_only_from_the_seeds():
    rare = "CCOP(=O)(OCC)OCC"  # the only phosphorus of the data, scored lowest: never a seed below
    designs = DRUGS + [rare]
    space = MoleculeSpace.from_smiles(designs, max_selfies_length=60)
    assert "P" in space.elements() and "P" not in ge.elements_of(DRUGS)
    data = Dataset(designs, np.r_[np.arange(len(DRUGS), 0, -1.0), -1.0], space)
    made = {}
    for elements in ("space", "seeds"):
        gen = make_generator("evolution", operators="graph", generations=3, population=16, offspring=64,
                             seed_top=len(DRUGS), elements=elements)
        made[elements] = Phosphorus()(gen.propose(Phosphorus(), 8, data, np.random.default_rng(0)))
    assert made["space"].max() >= 1 and made["seeds"].max() == 0
    with pytest.raises(InvalidInputError, match="elements must be 'space' or 'seeds'"):
        make_generator("evolution", elements="all")


def test_graph_evolution_stays_within_the_space_s_selfies_length():
    space = MoleculeSpace.from_smiles(DRUGS)  # max_length: the data's longest SELFIES plus a margin
    data = Dataset(DRUGS, np.array([heavy(d) for d in DRUGS], dtype=float), space)
    big = lambda designs: np.array([heavy(d) for d in designs], dtype=float)  # noqa: E731 - rewards size without end
    gen = make_generator("evolution", operators="graph", generations=8, population=16, offspring=64, seed_top=6)
    out = gen.propose(big, 8, data, np.random.default_rng(0))
    lengths = [len(space.selfies_tokens(d)) for d in out]
    assert max(lengths) <= space.max_length and big(out).max() > big(DRUGS).max()
    assert space.writable(out).all()
    assert list(space.writable(["C" * (space.max_length + 1), "CCO", "not a smiles"])) == [False, True, False]
