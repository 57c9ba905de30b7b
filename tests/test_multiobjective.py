"""Several objectives and constraints: parsing, user tables, the regex task, a run, NSGA-II."""

import numpy as np
import pandas as pd
import pytest

import seqmbo
from seqmbo.errors import InvalidInputError
from seqmbo.objectives import Constraint, parse_constraint, parse_objectives, scalarize
from seqmbo.tasks.user_data import user_task

pytest.importorskip("botorch")

TINY = {"proxy_options": {"members": 2, "epochs": 1, "min_steps": 20},
        "generator_options": {"population": 32, "offspring": 64, "generations": 3, "seed_top": 32},
        "calibration": False}


def test_parse_objectives_and_constraints():
    objs = parse_objectives(["pIC50", "logS:min", "tox"], minimize=["tox"])
    assert [(o.name, o.direction) for o in objs] == [("pIC50", "max"), ("logS", "min"), ("tox", "min")]
    assert parse_constraint("sa<=4") == Constraint("sa", "<=", 4.0)
    assert parse_constraint(" mw < 5e2 ") == Constraint("mw", "<", 500.0)
    for bad in ("sa<<4", "sa=4", "<=4", "sa<=four"):
        with pytest.raises(InvalidInputError, match="expected NAME OP NUMBER"):
            parse_constraint(bad)
    with pytest.raises(InvalidInputError, match="not one of the objectives"):
        parse_objectives(["a"], minimize=["b"])
    with pytest.raises(InvalidInputError, match="max' or 'min"):
        parse_objectives(["a:down"])


def test_constraint_tests_and_probability():
    c = Constraint("logS", ">=", -5.0)
    assert c.holds(np.array([-4, -6, np.nan])).tolist() == [True, False, False]
    assert c.violation(np.array([-4.0, -6.5])).tolist() == [0.0, 1.5]
    assert c.probability(np.array([-5.0]), np.array([1.0]))[0] == pytest.approx(0.5)
    assert c.probability(np.array([-3.0]), np.array([1.0]))[0] == pytest.approx(0.97725, abs=1e-4)


def test_scalarize_is_the_mean_of_normalized_objectives():
    Y = np.array([[0.0, 10.0], [1.0, 30.0]])
    assert scalarize(Y, Y.min(0), Y.max(0)).tolist() == [0.0, 1.0]


def _table(n=60, seed=0):
    rng = np.random.default_rng(seed)
    seqs = ["".join(rng.choice(list("ACGT"), 10)) for _ in range(n)]
    a = np.array([s.count("A") for s in seqs], float)
    t = np.array([s.count("T") for s in seqs], float)
    return pd.DataFrame({"sequence": seqs, "act": a + 0.1 * rng.standard_normal(n), "tox": t, "stab": -a})


def test_user_table_with_two_objectives_and_a_measured_constraint():
    task = user_task(_table(), y=["act", "tox:min"], constraints=["stab>=-4"])
    d = task.dataset
    assert d.columns == ("act", "tox", "stab") and d.Y.shape == (60, 3)
    assert np.allclose(d.Y[:, 1], -_table()["tox"].to_numpy())  # minimized: negated inside
    assert [c.name for c in task.constraints] == ["stab"]
    lo, hi = d.Y[:, :2].min(0), d.Y[:, :2].max(0)
    assert np.allclose(d.y, ((d.Y[:, :2] - lo) / (hi - lo)).mean(1))


@pytest.mark.parametrize("kwargs, message", [
    ({"y": ["act", "nope"]}, "no column 'nope'"),
    ({"y": ["act", "tox"], "constraints": ["stab=<3"]}, "expected NAME OP NUMBER"),
    ({"y": ["act", "empty"]}, "column 'empty' has no numeric value"),
    ({"y": ["act", "tox"], "constraints": ["sa<=4"]}, "molecules only"),
    ({"y": ["act"], "constraints": ["sa<=4"]}, "molecules only"),
])
def test_bad_input_is_one_clear_error(kwargs, message):
    df = _table().assign(empty=np.nan)
    with pytest.raises(InvalidInputError, match=message):
        seqmbo.propose(df, n=5, **kwargs, **TINY)


def test_propose_two_objectives_gives_per_objective_columns_and_ranks():
    table = seqmbo.propose(_table(), y=["act", "tox:min"], constraints=["stab>=-6"], n=8, seed=1, **TINY)
    for col in ("act_mean", "act_std", "tox_mean", "tox_std", "stab_mean", "pareto_rank", "feasible_prob"):
        assert col in table.columns
    assert table["pareto_rank"].iloc[0] == 0 and (np.diff(table["pareto_rank"].to_numpy()) >= 0).all()
    assert table.attrs["metrics"]["pareto_size"] == int((table["pareto_rank"] == 0).sum()) >= 1
    again = seqmbo.propose(_table(), y=["act", "tox:min"], constraints=["stab>=-6"], n=8, seed=1, **TINY)
    assert table["sequence"].tolist() == again["sequence"].tolist()


REGEX = {"name": "regex-small", "kind": "regex", "patterns": ["AV", "VC"], "min_length": 12, "max_length": 14,
         "offline_size": 600, "seed": 3, "n_candidates": 16}


def test_regex_task_split_and_oracle():
    from seqmbo.tasks import load_task

    task = load_task(REGEX)
    assert task.objective_oracle(["AVAVAVAVAVAV", "VCVCVCVCVCVCV", "AVC"]).tolist()[:2] == [[6, 0], [0, 6]]
    assert np.isnan(task.objective_oracle(["AVC"])).all()  # too short: invalid
    full = task.dataset.info["n_full"]
    assert 0 < len(task.dataset) < full and task.dataset.Y.shape == (len(task.dataset), 2)
    lo, hi = task.objective_bounds
    assert (task.dataset.Y.max(0) <= hi).all() and (hi > task.dataset.Y.max(0)).any()


@pytest.mark.parametrize("generator", ["nsga2", "evolution", "random"])
def test_design_on_a_multiobjective_task_reports_hypervolumes(generator):
    settings = {k: v for k, v in TINY.items() if generator != "random" or k != "generator_options"}
    run = seqmbo.design(REGEX, generator=generator, seed=0, **settings)
    m, t = run.metrics, run.candidates
    assert m["oracle_calls_design"] == 0 and m["n_objectives"] == 2
    assert m["hv_p100"] >= m["hv_p75"] >= m["hv_p50"] >= 0 and m["dataset_hv"] > 0
    assert 1 <= m["pareto_size"] <= len(t)
    assert {"AV_mean", "VC_std", "oracle_AV", "oracle_VC", "pareto_rank"} <= set(t.columns)
    assert (t["oracle_AV"] == [s.count("AV") for s in t["sequence"]]).all()


def test_constraint_gate_is_exact_on_computed_properties():
    from rdkit import Chem
    from rdkit.Chem import Descriptors

    from seqmbo.gates.constraint import ConstraintGate
    from seqmbo.spaces.molecule import MoleculeSpace

    smiles = ["CCO", "CC(=O)Oc1ccccc1C(=O)O", "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC", "not a molecule"]
    gate = ConstraintGate([parse_constraint("mw<200"), parse_constraint("qed>=0.3")],
                          MoleculeSpace.from_smiles(smiles[:3]))
    weights = [Descriptors.MolWt(Chem.MolFromSmiles(s)) for s in smiles[:3]]
    assert weights[1] < 200 < weights[2]
    assert gate(smiles).tolist() == [True, True, False, False]  # ethanol QED 0.41, aspirin 0.55
    with pytest.raises(InvalidInputError, match="not a measured column nor a computed property"):
        ConstraintGate([parse_constraint("potency>=3")], MoleculeSpace.from_smiles(smiles[:3]))


def test_mpo_terms_multiply_to_the_mpo():
    from seqmbo.oracles.guacamol import GuacaMolTerm
    from seqmbo.oracles.molecules import get_molecule_oracle

    smiles = ["CC(=O)Oc1ccccc1C(=O)O", "COc1cc(N(C)CCN(C)C)c(NC(=O)C=C)cc1Nc1nccc(-c2cn(C)c3ccccc23)n1", "c1ccccc1"]
    terms = np.stack([GuacaMolTerm("osimertinib_mpo", k)(smiles) for k in range(4)], axis=1)
    assert np.allclose(terms.prod(1) ** 0.25, get_molecule_oracle("osimertinib_mpo")(smiles))
    with pytest.raises(IndexError):
        GuacaMolTerm("osimertinib_mpo", 4)


def test_molecule_task_with_two_oracles():
    from seqmbo.tasks import load_task

    spec = {"name": "nci-qed-sa", "kind": "molecules-mo", "library": "nci", "objectives": ["qed", "sa"],
            "subsample": 300, "n_candidates": 8}
    task = load_task(spec)
    assert [(o.name, o.direction) for o in task.objectives] == [("qed", "max"), ("sa", "min")]
    d = task.dataset
    Y = task.objective_oracle(d.designs[:5])
    assert np.allclose(Y, d.Y[:5]) and (Y[:, 1] < 0).all()  # sa is held negated: every objective maximized
    assert 0 < len(d) < d.info["n_full"]
