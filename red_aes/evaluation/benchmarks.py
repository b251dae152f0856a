"""The benchmark registry: one table describing every benchmark once, and the loaded-benchmark types.

In the spirit of pyiqa's one table of dataset configs, :data:`BENCHMARKS` is a
:class:`~red_aes.registry.Registry` whose entries are :class:`BenchmarkSpec`: the loader that reads the
benchmark (the entry's ``target``, imported only when it loads), what it measures (its *kind*), the native
scale of its labels, how its labels map to image files, its official test split and where it comes from.
Adding a benchmark is one entry here (plus a loader function when it needs a new one).

Kinds:

- ``score``: images with an absolute label (IAA/IQA datasets, a generic image folder + CSV);
- ``pairwise``: image pairs with human preferences (vote counts or a ``preferred`` column);
- ``delta``: RED pairs (original, edited) with a judged delta on the RED-Aes scale;
- ``ladder``: groups of images whose internal order is known by construction (edit ladder).

Labels keep their native scale (AVA 1-10, AADB 0-1, KonIQ 1-5, ...). Predictions are on the RED-Aes
scale [1, 10]; rank correlations do not care, and :meth:`Benchmark.native_to_model` maps the native
scale linearly onto [1, 10] where a common scale is needed (the binary threshold, anchors).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, cast

from PIL import Image

from red_aes.errors import InputError
from red_aes.evaluation.metrics import BINARY_THRESHOLD
from red_aes.images import DEFAULT_MAX_INPUT_PIXELS, ImageInput, load_image
from red_aes.registry import Entry, Registry
from red_aes.types import SCORE_MAX, SCORE_MIN

BenchmarkKind = Literal["score", "pairwise", "delta", "ladder"]
#: An image as a benchmark holds it: anything :func:`load_image` takes, or a function producing it
#: (images rendered on demand or read from a dataset row only when they are scored).
ImageSource = ImageInput | Callable[[], Image.Image]


def open_image(source: ImageSource, max_input_pixels: int | None = DEFAULT_MAX_INPUT_PIXELS) -> Image.Image:
    """Materialise an :data:`ImageSource` as a safe RGB image through :func:`load_image`."""
    return load_image(source() if callable(source) else source, max_input_pixels=max_input_pixels)


@dataclass(frozen=True)
class ImageItem:
    """One image with an absolute label (``score``/``ladder`` kinds); ``id`` is its ``file`` column."""

    id: str
    image: ImageSource
    label: float
    subset: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class PairItem:
    """Two images and a relative label: a preference in {-1, 0, +1} or a judged delta (second - first)."""

    id: str
    first: ImageSource
    second: ImageSource
    label: float
    instruction: str | None = None
    subset: str | None = None
    group: str | None = None


@dataclass(frozen=True, kw_only=True)
class BenchmarkSpec(Entry):
    """A benchmark's registry entry: its loader (``target``, a ``"module:function"`` taking the spec and a
    :class:`LoadRequest` and returning a :class:`Benchmark`), description, kind, native label scale,
    splits, label-to-file mapping and source."""

    name: str
    display_name: str
    kind: BenchmarkKind
    scale: tuple[float, float] | None = None
    test_split: str = ""
    labels: str = ""
    citation: str = ""
    url: str = ""


@dataclass(frozen=True)
class LoadRequest:
    """Where to read a benchmark from; each loader rejects the fields it cannot use.

    ``root`` is an image folder (CSV benchmarks) or a ``save_to_disk`` folder (RED); ``labels`` a CSV
    (default ``root/labels.csv``); ``hub_dataset`` a Hub dataset id or a local dataset folder, read with
    ``datasets`` (``image_column``/``score_column``, plus ``file``/``subset`` columns when present).
    ``scale`` overrides the native label scale. ``attributes``/``strengths`` configure the edit ladder.
    """

    root: Path | None = None
    labels: Path | None = None
    hub_dataset: str | None = None
    split: str = "test"
    scale: tuple[float, float] | None = None
    file_column: str = "file"
    score_column: str = "score"
    image_column: str = "image"
    subset_column: str = "subset"
    attributes: tuple[str, ...] | None = None
    strengths: tuple[float, ...] | None = None


@dataclass
class Benchmark:
    """A loaded benchmark: its items plus what is needed to score and report it."""

    name: str
    display_name: str
    kind: BenchmarkKind
    items: Sequence[ImageItem] | Sequence[PairItem]
    source: str
    split: str = "test"
    scale: tuple[float, float] | None = None

    def __len__(self) -> int:
        return len(self.items)

    def head(self, limit: int | None) -> Benchmark:
        """The first ``limit`` items (all when None), e.g. for a quick run."""
        if limit is None:
            return self
        if limit < 1:
            raise InputError(f"limit must be >= 1, got {limit}")
        return replace(self, items=list(self.items[:limit]))

    def shard(self, index: int, count: int) -> Benchmark:
        """Every ``count``-th item from ``index`` on: one process's share of a split-up run."""
        if not 0 <= index < count:
            raise InputError(f"shard index must be in [0, {count}), got {index}")
        return replace(self, items=list(self.items[index::count]))

    def native_to_model(self, value: float) -> float:
        """Map a native label linearly onto the RED-Aes scale [1, 10] (identity without a scale)."""
        if self.scale is None:
            return value
        low, high = self.scale
        return SCORE_MIN + (value - low) * (SCORE_MAX - SCORE_MIN) / (high - low)

    @property
    def label_threshold(self) -> float | None:
        """The binary-accuracy threshold on the native scale: the AVA threshold 5 on [1, 10] mapped back."""
        if self.scale is None:
            return None
        low, high = self.scale
        return low + (BINARY_THRESHOLD - SCORE_MIN) * (high - low) / (SCORE_MAX - SCORE_MIN)


_CSV = "red_aes.evaluation.loaders:load_score_benchmark"

#: Every benchmark, in the order ``red-aes eval --help`` lists them.
_SPECS: tuple[BenchmarkSpec, ...] = (
    BenchmarkSpec(
        name="ava",
        display_name="AVA",
        kind="score",
        target=_CSV,
        description="Aesthetic Visual Analysis: ~255k DPChallenge photos, each rated by ~210 voters.",
        scale=(1.0, 10.0),
        test_split="the aesthetics test list shipped with AVA.txt (~19.9k images); list only those",
        labels="score = mean of the 1-10 vote histogram in AVA.txt; file = '<image id>.jpg'",
        citation="Murray, Marchesotti, Perronnin. AVA: A large-scale database for aesthetic visual "
        "analysis. CVPR 2012.",
        url="https://github.com/imfing/ava_downloader",
    ),
    BenchmarkSpec(
        name="tad66k",
        display_name="TAD66K",
        kind="score",
        target=_CSV,
        description="Theme-aware aesthetics: ~66k photos in 47 themes, each rated by >= 1200 raters.",
        scale=(1.0, 10.0),
        test_split="the official test list released with TANet",
        labels="score = mean rating (1-10); file = image name; optional subset = theme",
        citation="He et al. Rethinking Image Aesthetics Assessment: Models, Datasets and Benchmarks. "
        "IJCAI 2022.",
        url="https://github.com/woshidandan/TANet",
    ),
    BenchmarkSpec(
        name="aadb",
        display_name="AADB",
        kind="score",
        target=_CSV,
        description="Aesthetics and Attributes DataBase: 10,000 Flickr photos with an overall score "
        "and 11 attributes.",
        scale=(0.0, 1.0),
        test_split="the official 1,000-image test list (imgListTestNewRegression_.txt)",
        labels="score = overall aesthetic score (0-1); file = image name",
        citation="Kong, Shen, Lin, Mech, Fowlkes. Photo Aesthetics Ranking Network with Attributes and "
        "Content Adaptation. ECCV 2016.",
        url="https://github.com/aimerykong/deepImageAestheticsAnalysis",
    ),
    BenchmarkSpec(
        name="para",
        display_name="PARA",
        kind="score",
        target=_CSV,
        description="Personalized image Aesthetics database with Rich Attributes: 31,220 photos.",
        scale=(1.0, 5.0),
        test_split="the official GIAA test split (PARA-GiaaTest.csv)",
        labels="score = aestheticScore_mean (1-5); file = '<sessionId>/<imageName>' under imgs/",
        citation="Yang et al. Personalized Image Aesthetics Assessment with Rich Attributes. CVPR 2022.",
        url="https://cv-datasets.institutecv.com/#/data-sets",
    ),
    BenchmarkSpec(
        name="flickr-aes",
        display_name="FLICKR-AES",
        kind="score",
        target=_CSV,
        description="40,000 Flickr photos rated 1-5 by 210 AMT workers (generic and personal aesthetics)",
        scale=(1.0, 5.0),
        test_split="the images of the 37 test workers of the official split",
        labels="score = mean worker rating (1-5) from FLICKR-AES_image_score.txt; file = image name",
        citation="Ren, Shen, Lin, Mech, Foran. Personalized Image Aesthetics. ICCV 2017.",
        url="https://github.com/alanspike/personalizedImageAesthetics",
    ),
    BenchmarkSpec(
        name="koniq-10k",
        display_name="KonIQ-10k",
        kind="score",
        target=_CSV,
        description="In-the-wild image quality: 10,073 photos with MOS from ~120 ratings each.",
        scale=(1.0, 5.0),
        test_split="the official 2,015-image test set ('set' column of koniq10k_distributions_sets.csv)",
        labels="score = MOS (1-5); for the 0-100 MOS_zscore column pass scale=(0, 100); file = image_name",
        citation="Hosu, Lin, Sziranyi, Saupe. KonIQ-10k: An Ecologically Valid Database for Deep "
        "Learning of Blind Image Quality Assessment. IEEE TIP 2020.",
        url="https://database.mmsp-kn.de/koniq-10k-database.html",
    ),
    BenchmarkSpec(
        name="spaq",
        display_name="SPAQ",
        kind="score",
        target=_CSV,
        description="Smartphone photography quality: 11,125 photos from 66 phones with MOS.",
        scale=(0.0, 100.0),
        test_split="no official split; papers use random 80/20 splits: list your test images in the CSV",
        labels="score = MOS (0-100) from 'MOS and Image attribute scores'; file = image name",
        citation="Fang, Zhu, Zeng, Ma, Wang. Perceptual Quality Assessment of Smartphone Photography. "
        "CVPR 2020.",
        url="https://github.com/h4nwei/SPAQ",
    ),
    BenchmarkSpec(
        name="eva",
        display_name="EVA",
        kind="score",
        target=_CSV,
        description="Explainable Visual Aesthetics: 4,070 photos with 0-10 scores and attribute ratings.",
        scale=(0.0, 10.0),
        test_split="no official split in the release; list your protocol's held-out images in the CSV",
        labels="score = mean 0-10 score from votes_filtered.csv; file = '<image_id>.jpg'",
        citation="Kang, Valenzise, Dufaux. EVA: An Explainable Visual Aesthetics Dataset. ACM MM "
        "Workshops (ATQAM) 2020.",
        url="https://github.com/kang-gnak/eva-dataset",
    ),
    BenchmarkSpec(
        name="imagefolder",
        display_name="Image folder",
        kind="score",
        target=_CSV,
        description="Any folder of images with a labels CSV (file,score[,subset]).",
        labels="file = path relative to the root; score = your label; pass scale=(low, high) to "
        "get the binary accuracy",
    ),
    BenchmarkSpec(
        name="pairwise",
        display_name="Pairwise preferences",
        kind="pairwise",
        target="red_aes.evaluation.loaders:load_pairwise_benchmark",
        description="Image pairs with human preferences; metric: pairwise accuracy by majority vote.",
        labels="CSV file_a,file_b plus votes_a,votes_b (majority vote) or preferred = a|b|tie; "
        "optional subset; paths relative to the root",
    ),
    BenchmarkSpec(
        name="red",
        display_name="RED test split",
        kind="delta",
        target="red_aes.evaluation.loaders:load_red_benchmark",
        description="RED edit pairs with judged deltas (score(edited) - score(original), in [-9, 9]).",
        scale=None,
        test_split="the 'test' split of the RED DatasetDict (split by source photo)",
        labels="RED schema columns pair_id, source_id, original, edited, instruction, attribute, delta",
    ),
    BenchmarkSpec(
        name="edit-ladder",
        display_name="Edit ladder",
        kind="ladder",
        target="red_aes.evaluation.edit_ladder:load_edit_ladder",
        description="Real photos degraded (and improved where the classical editor offers it) at "
        "increasing strengths; the order inside each group is known by construction.",
        test_split="built on the fly; default photos: examples/photos",
        labels="none needed: label = signed edit strength (original 0, degrade -s, improve +s)",
    ),
)

#: The registry: benchmark name -> spec. Scales are the native label ranges of each dataset.
BENCHMARKS = Registry("benchmark", {spec.name: spec for spec in _SPECS})


def get_spec(name: str) -> BenchmarkSpec:
    """The registry entry for ``name`` (case-insensitive); a clear error for an unknown name."""
    return cast(BenchmarkSpec, BENCHMARKS.entry(name.strip().lower()))


def load_benchmark(name: str, request: LoadRequest | None = None) -> Benchmark:
    """Load the benchmark ``name`` from where ``request`` points (local files or a Hub dataset id)."""
    spec = get_spec(name)
    return BENCHMARKS.target(spec.name)(spec, request or LoadRequest())
