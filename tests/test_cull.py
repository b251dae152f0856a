"""``red_aes.cull`` on a generated shoot: 10 bursts of 3 to 5 frames (one clean, the others blurred, noisy,
under- or overexposed, tilted or a re-saved duplicate; JPEG with EXIF times, one burst PNG, one TIFF, one
frame stored turned with an EXIF orientation, one burst in a subfolder), plus a corrupt JPEG, a HEIC
file and a text file. The acceptance of issue 25: every burst is one group, the clean frame is picked in
at least 90% of groups with RED-Lite, every damaged frame gets its flag, the outputs are valid, an
interrupted run resumes without scoring a finished photo again, and shards cover every photo once."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

from red_aes import cull
from red_aes.cull import (
    FLAGS,
    HASH_BITS,
    CullCache,
    Culler,
    Photo,
    copeland,
    group_photos,
    read_xmp_rating,
    shard_of,
    xmp_packet,
)
from red_aes.errors import InputError
from red_aes.scoring import BaseScorer, load_scorer
from red_aes.types import AestheticDelta, AestheticScore

REPO = Path(__file__).resolve().parent.parent

#: The bursts: the defect of each frame (None: the clean frame). Scenes 0-6 are the bundled photos,
#: 7-9 mirrored crops of them; tilt is given to scenes with straight lines only (astronaut, camera,
#: china, rocket), as a tilt cannot be measured where there are none.
PLAN: list[list[str | None]] = [
    [None, "blur", "noise", "tilt", "under"],
    [None, "over", "tilt", "dup"],
    [None, "blur", "under"],
    [None, "noise", "tilt", "over"],
    [None, "under", "blur", "dup", "noise"],
    [None, "noise", "over"],
    [None, "blur", "under", "tilt"],
    [None, "over", "blur", "noise"],
    [None, "under", "dup"],
    [None, "noise", "blur", "over"],
]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_cull", REPO / "benchmarks" / "bench_cull.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _bench()


@pytest.fixture(scope="module")
def shoot(tmp_path_factory: pytest.TempPathFactory, bench: ModuleType) -> tuple[Path, dict[str, tuple]]:
    """The generated folder and, per photo path (relative), its (scene, defect)."""
    folder = tmp_path_factory.mktemp("shoot")
    frames = bench.make_shoot(folder, PLAN, formats={3: "heic", 5: "png", 8: "tif"}, rotated=(2, 1))
    (folder / "day2").mkdir()
    for frame in frames:
        if frame.scene == 9:
            shutil.move(frame.path, folder / "day2" / frame.path.name)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a JPEG after all")
    (folder / "phone.heic").write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00")
    (folder / "notes.txt").write_text("not a photo")
    manifest = {}
    for frame in frames:
        relative = f"day2/{frame.path.name}" if frame.scene == 9 else frame.path.name
        manifest[relative] = (frame.scene, frame.damage)
    return folder, manifest


@pytest.fixture(scope="module")
def small(shoot: tuple[Path, dict], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Scenes 0 to 2 of the shoot (12 frames), the corrupt JPEG and the HEIC file."""
    folder, manifest = shoot
    copy = tmp_path_factory.mktemp("small")
    for path, (scene, _) in manifest.items():
        if scene <= 2:
            shutil.copy(folder / path, copy / Path(path).name)
    for name in ("broken.jpg", "phone.heic"):
        shutil.copy(folder / name, copy / name)
    return copy


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.suffix.lower() in cull.PHOTO_SUFFIXES
    }


@pytest.fixture(scope="module")
def culled(shoot: tuple[Path, dict], tmp_path_factory: pytest.TempPathFactory) -> cull.CullResult:
    folder, _ = shoot
    before = _digests(folder)
    result = Culler("red-lite", cache=tmp_path_factory.mktemp("cache"), progress=False).run(folder)
    assert _digests(folder) == before  # originals are only ever read
    return result


def _by_path(result: cull.CullResult) -> dict[str, Photo]:
    return {p.path: p for p in result.photos}


# -- the acceptance ---------------------------------------------------------------------------------------


def test_every_burst_is_one_group(shoot: tuple[Path, dict], culled: cull.CullResult) -> None:
    _, manifest = shoot
    photos = _by_path(culled)
    groups: dict[int, set[int]] = {}
    for path, (scene, _) in manifest.items():
        groups.setdefault(scene, set()).add(photos[path].group)
    assert all(len(ids) == 1 for ids in groups.values()), groups
    assert len({next(iter(ids)) for ids in groups.values()}) == len(PLAN) == culled.groups


def test_the_clean_frame_is_picked_in_at_least_90_percent_of_groups(
    shoot: tuple[Path, dict], culled: cull.CullResult
) -> None:
    _, manifest = shoot
    picks = {manifest[p.path][0]: manifest[p.path][1] for p in culled.photos if p.pick}
    assert len(picks) == len(PLAN)
    clean = sum(1 for damage in picks.values() if damage in (None, "dup"))  # a re-saved twin is clean too
    assert clean / len(PLAN) >= 0.9, picks


def test_every_damaged_frame_gets_its_flag_and_clean_frames_none(
    shoot: tuple[Path, dict], culled: cull.CullResult, bench: ModuleType
) -> None:
    _, manifest = shoot
    photos = _by_path(culled)
    for path, (_, damage) in manifest.items():
        flags = photos[path].flags
        if damage is None or damage == "dup":  # one of the two twins is the duplicate of the other
            assert not set(flags) & set(cull.DEFECTS), (path, flags)
            continue
        assert bench.EXPECTED_FLAG[damage] in flags, (path, damage, flags)
    for scene, damages in enumerate(PLAN):
        if "dup" in damages:
            twins = [photos[p] for p, (s, d) in manifest.items() if s == scene and d in (None, "dup")]
            assert sorted("duplicate" in t.flags for t in twins) == [False, True], [t.flags for t in twins]


def test_picks_have_a_plain_reason_and_others_say_why(culled: cull.CullResult) -> None:
    for photo in culled.photos:
        if photo.pick:
            assert photo.reason and "\n" not in photo.reason
            if photo.group_size > 1 and not photo.defective:
                assert " than " in photo.reason or "prefers" in photo.reason
        elif photo.readable:
            assert f"rank {photo.rank} of {photo.group_size}" in photo.reason
    first = next(p for p in culled.photos if p.pick and p.path == "s0000_f0.jpg")
    assert "sharper than" in first.reason.lower() and "the other 4 frames" in first.reason


def test_unreadable_files_are_rows_with_their_reason(culled: cull.CullResult) -> None:
    photos = _by_path(culled)
    broken, heic = photos["broken.jpg"], photos["phone.heic"]
    assert broken.flags == ["unreadable"] and "corrupt" in broken.reason
    assert heic.flags == ["unreadable"] and heic.reason  # a HEIC header with no image after it
    assert "notes.txt" not in photos and culled.ignored[".txt"] == 1
    assert not broken.pick and broken.group == 0 and broken.rank == 0


def test_csv_json_html_and_xmp_are_valid(
    shoot: tuple[Path, dict], culled: cull.CullResult, tmp_path: Path
) -> None:
    folder, _ = shoot
    written = culled.write(tmp_path)
    assert [p.name for p in written] == ["cull.csv", "cull.json", "index.html"]
    with open(tmp_path / "cull.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(culled.photos)
    assert set(rows[0]) >= {"path", "group", "rank", "score", "pick", "flags", "reason"}
    for row in rows:
        assert row["pick"] in ("true", "false")
        assert all(flag in FLAGS for flag in row["flags"].split(";") if flag)
    assert sum(row["pick"] == "true" for row in rows) == len(PLAN)
    document = json.loads((tmp_path / "cull.json").read_text())
    assert len(document["photos"]) == len(rows) and document["groups"] == len(PLAN)
    assert document["flags"] == FLAGS

    sheet = _Sheet()
    sheet.feed((tmp_path / "index.html").read_text())
    readable = [p for p in culled.photos if p.readable]
    assert len(sheet.images) == len(readable)
    assert all(src.startswith("data:image/jpeg;base64,") for src in sheet.images)
    assert not sheet.external, sheet.external  # works offline: nothing fetched from anywhere
    assert sheet.sections == len(PLAN) and "sortGroups" in sheet.script
    assert sheet.picks == len(PLAN)

    written_xmp, kept = culled.write_xmp()
    assert len(written_xmp) == len(readable) and not kept
    for photo in readable:
        sidecar = folder / f"{photo.path}.xmp"
        ET.parse(sidecar)  # well-formed XML
        rating, label = read_xmp_rating(sidecar)
        assert (rating, label or "") == cull.RATINGS[(photo.pick, photo.defective)]
        _read_back_with_other_tools(sidecar, rating, label)
    assert all(p.name.endswith(".xmp") for p in folder.glob("*.xmp"))
    second, kept = culled.write_xmp()
    assert not second and len(kept) == len(readable)  # an existing sidecar is kept without overwrite
    for path in kept:
        path.unlink()


def _read_back_with_other_tools(sidecar: Path, rating: int, label: str | None) -> None:
    """Exiv2 (pyexiv2, a test dependency; the library digiKam and darktable use) reads the rating and
    label back, and exiftool too where it is installed."""
    import pyexiv2

    with pyexiv2.Image(str(sidecar)) as image:
        xmp = image.read_xmp()
    assert xmp["Xmp.xmp.Rating"] == str(rating) and xmp.get("Xmp.xmp.Label") == label
    if shutil.which("exiftool"):
        out = subprocess.run(["exiftool", "-s3", "-XMP:Rating", str(sidecar)], capture_output=True, text=True)
        assert out.stdout.strip() == str(rating)


class _Sheet(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.external: list[str] = []
        self.sections = self.picks = 0
        self.script = ""
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "img":
            self.images.append(values.get("src") or "")
        for key in ("src", "href"):
            if (values.get(key) or "").startswith(("http:", "https:", "//")):
                self.external.append(values[key] or "")
        if tag == "section" and "group" in (values.get("class") or ""):
            self.sections += 1
        if tag == "div" and "pick" in (values.get("class") or "").split():
            self.picks += 1
        self._in_script = tag == "script"

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script += data

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def test_an_existing_sidecar_is_kept_unless_overwrite(tmp_path: Path, photo_paths: list[Path]) -> None:
    folder = tmp_path / "shoot"
    folder.mkdir()
    shutil.copy(photo_paths[0], folder / photo_paths[0].name)
    sidecar = folder / f"{photo_paths[0].name}.xmp"
    sidecar.write_text("darktable's edit history")
    result = Culler("measured", cache=tmp_path / "cache", progress=False).run(folder)
    written, kept = result.write_xmp()
    assert not written and kept == [sidecar] and sidecar.read_text() == "darktable's edit history"
    written, kept = result.write_xmp(overwrite=True)
    assert written == [sidecar] and read_xmp_rating(sidecar) == (4, "Green")  # the only frame: a clean pick


# -- long runs: the cache, resuming, shards, workers -------------------------------------------------------


class CountingScorer(BaseScorer):
    """The ``measured`` scorer, counting its images; with ``stop_after``, Ctrl-C after that many."""

    name = "counting-measured"
    relative = False

    def __init__(self, stop_after: int | None = None) -> None:
        super().__init__()
        self.inner = load_scorer("measured")
        self.calls = 0
        self.stop_after = stop_after

    def _score_one(self, image: Image.Image, decoding: str) -> AestheticScore:
        if self.stop_after is not None and self.calls >= self.stop_after:
            raise KeyboardInterrupt
        self.calls += 1
        return self.inner.score(image, decoding=decoding)


def _unique_readable(folder: Path) -> int:
    digests = {d for path, d in _digests(folder).items() if not path.endswith((".heic", "broken.jpg"))}
    return len(digests)


def test_an_interrupted_run_resumes_without_scoring_finished_photos(small: Path, tmp_path: Path) -> None:
    folder = small
    unique = _unique_readable(folder)
    interrupted = CountingScorer(stop_after=7)
    with pytest.raises(KeyboardInterrupt):
        Culler(interrupted, cache=tmp_path, progress=False).run(folder)
    assert interrupted.calls == 7
    resumed = CountingScorer()
    result = Culler(resumed, cache=tmp_path, progress=False).run(folder)
    assert resumed.calls == unique - 7  # only what the interrupted run did not finish
    assert result.cached >= 7 and result.groups == 3
    again = CountingScorer()
    rerun = Culler(again, cache=tmp_path, progress=False).run(folder)
    assert again.calls == 0 and rerun.analysed == 0
    assert [p.row() for p in rerun.ordered()] == [p.row() for p in result.ordered()]


def test_a_changed_file_or_model_is_scored_again(tmp_path: Path, photo_paths: list[Path]) -> None:
    folder = tmp_path / "shoot"
    folder.mkdir()
    for path in photo_paths[:2]:
        shutil.copy(path, folder / path.name)
    first = CountingScorer()
    Culler(first, cache=tmp_path / "cache", progress=False).run(folder)
    Image.open(photo_paths[2]).save(folder / photo_paths[0].name)  # same name, new content
    second = CountingScorer()
    Culler(second, cache=tmp_path / "cache", progress=False).run(folder)
    assert (first.calls, second.calls) == (2, 1)
    other_model = Culler("measured", cache=tmp_path / "cache", progress=False)
    assert other_model.cache.key != Culler(CountingScorer(), cache=tmp_path / "cache").cache.key
    assert other_model.run(folder).analysed == 2


def test_shards_cover_every_photo_exactly_once_into_one_cache(small: Path, tmp_path: Path) -> None:
    folder = small
    files, _ = cull.find_photos(folder)
    seen: list[str] = []
    calls = 0
    for index in range(3):
        scorer = CountingScorer()
        result = Culler(scorer, cache=tmp_path, progress=False).run(folder, shard=(index, 3))
        assert result.groups == 0 and all(not p.pick for p in result.photos)  # a shard decides nothing
        assert all(shard_of(folder / p.path, 3) == index for p in result.photos)
        seen += [p.path for p in result.photos]
        calls += scorer.calls
    assert sorted(seen) == sorted(f.relative_to(folder).as_posix() for f in files)
    assert calls == _unique_readable(folder)
    final = CountingScorer()
    result = Culler(final, cache=tmp_path, progress=False).run(folder)
    assert final.calls == 0 and result.groups == 3


def test_two_workers_give_the_same_decisions_as_one(small: Path, tmp_path: Path) -> None:
    one = Culler("measured", cache=tmp_path / "one", progress=False).run(small)
    two = Culler("measured", cache=tmp_path / "two", workers=2, progress=False).run(small)
    assert [p.row() for p in two.ordered()] == [p.row() for p in one.ordered()]
    with pytest.raises(InputError, match="one process"):
        Culler(CountingScorer(), cache=tmp_path, workers=2)


def test_the_plan_counts_files_and_what_the_cache_holds(shoot: tuple[Path, dict], tmp_path: Path) -> None:
    folder, manifest = shoot
    culler = Culler(CountingScorer(), cache=tmp_path / "cache", progress=False)
    plan = culler.plan(folder)
    assert len(plan.photos) == len(manifest) + 2 and plan.cached == 0 and plan.ignored[".txt"] == 1
    assert not (tmp_path / "cache").exists()  # planning writes nothing
    text = "\n".join(plan.lines())
    assert f"photos found under {folder}: {len(manifest) + 2}" in text and "to analyse and score" in text


# -- a relative scorer ------------------------------------------------------------------------------------


class RelativeScorer(BaseScorer):
    """A stand-in for a VLM: scores by contrast, and compares pairs as a pair with a position bias."""

    name = "relative-stub"
    relative = True
    BIAS = 0.4

    def __init__(self) -> None:
        super().__init__()
        self.pairs = 0

    @staticmethod
    def value(image: Image.Image) -> float:
        return 3.0 + float(np.asarray(image.convert("L"), dtype=np.float64).std()) / 20.0

    def _score_one(self, image: Image.Image, decoding: str) -> AestheticScore:
        return self.computed_score(self.value(image), None, decoding)

    def _compare_one(
        self, original: Image.Image, edited: Image.Image, instruction: str | None, decoding: str
    ) -> AestheticDelta:
        self.pairs += 1
        return self.computed_delta(self.value(edited) - self.value(original) + self.BIAS, None, decoding)


def test_a_relative_scorer_is_asked_every_pair_both_ways_once(small: Path, tmp_path: Path) -> None:
    scorer = RelativeScorer()
    result = Culler(scorer, cache=tmp_path / "cache", progress=False).run(small)
    tiers = [
        sorted((p for p in result.photos if p.group == group and p.defective == tier), key=lambda p: p.rank)
        for group in range(1, result.groups + 1)
        for tier in (False, True)
    ]
    assert scorer.pairs == sum(len(t) * (len(t) - 1) for t in tiers) > 0  # both orders, within a tier
    for tier in tiers:  # the position bias cancels: the order is the scorer's values
        assert [p.score for p in tier] == sorted((p.score for p in tier), reverse=True)
    again = RelativeScorer()
    Culler(again, cache=tmp_path / "cache", progress=False).run(small)
    assert again.pairs == 0  # pairs come from the cache


# -- the parts --------------------------------------------------------------------------------------------


def test_grouping_compares_each_photo_with_one_neighbour(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = cull.hamming
    monkeypatch.setattr(cull, "hamming", lambda a, b: calls.append(1) or real(a, b))
    rng = np.random.default_rng(0)
    photos = [
        Photo(
            f"p{i}.jpg",
            digest=str(i),
            capture_time=i * 10.0,
            phash=int(rng.integers(0, 2**62)),
            stats=(0.0,) * 7,
        )
        for i in range(2000)
    ]
    groups = group_photos(photos)
    assert len(calls) == 0  # 10 s apart: the time test settles it before the hash
    burst = [Photo(f"b{i}.jpg", capture_time=0.5 * i, phash=7, stats=(0.0,) * 7) for i in range(200)]
    groups = group_photos(burst)
    assert len(calls) <= len(burst) - 1 and [len(g) for g in groups] == [cull.MAX_GROUP_SIZE] * 3 + [8]


def test_copeland_counts_wins_minus_losses_with_a_tie_band() -> None:
    scores = np.array([6.0, 7.0, 7.02, np.nan])
    better = scores[:, None] - scores[None, :]
    counts, margins = copeland(better)
    assert counts.tolist() == [-2.0, 1.0, 1.0, 0.0]  # 7.0 and 7.02 tie; a missing score ties everyone
    assert margins[2] > margins[1]


def test_hashes_group_a_scene_and_part_different_ones(photo_paths: list[Path], bench: ModuleType) -> None:
    rng = np.random.default_rng(0)
    images = [Image.open(p).convert("RGB") for p in photo_paths]
    hashes = [cull.perceptual_hash(i) for i in images]
    assert all(h < 2**HASH_BITS for h in hashes)
    for image, h in zip(images, hashes, strict=True):
        for kind in ("blur", "noise", "under", "over", "tilt"):
            assert (
                cull.hamming(h, cull.perceptual_hash(bench.damage(image, kind, rng)))
                <= cull.GROUP_HASH_DISTANCE
            )
    distances = [cull.hamming(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1 :]]
    assert min(distances) > cull.GROUP_HASH_DISTANCE


def test_capture_time_reads_date_time_original_with_sub_seconds(tmp_path: Path, bench: ModuleType) -> None:
    path = tmp_path / "a.jpg"
    Image.new("RGB", (8, 8)).save(path, exif=bench._exif(bench.START + 0.4))
    with Image.open(path) as image:
        assert cull.capture_time(image) == pytest.approx(bench.START + 0.4)
    Image.new("RGB", (8, 8)).save(tmp_path / "b.jpg")
    with Image.open(tmp_path / "b.jpg") as image:
        assert cull.capture_time(image) is None


def test_xmp_packet_is_xml_with_rating_label_and_keywords() -> None:
    text = xmp_packet(2, "Yellow", ["red-aes/blur"], "Blurred & <noisy>")
    root = ET.fromstring(text.split("?>", 1)[1].rsplit("<?xpacket", 1)[0])
    assert root.tag == "{adobe:ns:meta/}xmpmeta"
    assert "red-aes/blur" in text and "Blurred &amp; &lt;noisy&gt;" in text
    assert 'xmp:Rating="2"' in text and 'xmp:Label="Yellow"' in text


def test_shards_and_the_shard_option(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(b"x" * 200_000)
    assert shard_of(path, 4) == shard_of(path, 4) and 0 <= shard_of(path, 4) < 4
    assert cull.parse_shard("2/5") == (2, 5)
    for bad in ("5/5", "a/b", "-1/3", "3"):
        with pytest.raises(InputError, match="--shard"):
            cull.parse_shard(bad)


def test_cache_entries_are_written_atomically_and_bad_ones_are_misses(tmp_path: Path) -> None:
    cache = CullCache(tmp_path, {"model": "x"})
    cache.put("ab" * 32, {"digest": "ab" * 32})
    assert cache.get("ab" * 32)["digest"] == "ab" * 32
    assert not list(tmp_path.rglob("*.tmp"))
    (cache.folder / "photos" / "cd").mkdir(parents=True)
    (cache.folder / "photos" / "cd" / f"{'cd' * 32}.json").write_text('{"half')
    assert cache.get("cd" * 32) is None
    assert json.loads((cache.folder / "identity.json").read_text()) == {"model": "x"}


def test_heic_frames_are_read_with_their_capture_time(
    shoot: tuple[Path, dict], culled: cull.CullResult
) -> None:
    _, manifest = shoot
    heic = [p for p in culled.photos if p.path.endswith(".heic") and p.path in manifest]
    assert len(heic) == len(PLAN[3]) and all(p.readable for p in heic)
    assert all(p.capture_time for p in heic)  # EXIF DateTimeOriginal, read from the HEIF container


def test_heic_without_pillow_heif_is_a_row_that_names_the_package(
    tmp_path: Path, photo_paths: list[Path]
) -> None:
    assert cull.heif_available()  # pillow-heif is a dependency of the tests (the lock's heif extra)
    path = tmp_path / "IMG_0001.heic"
    Image.open(photo_paths[0]).convert("RGB").save(path, quality=90)
    spec = cull.ScorerSpec("measured", {}, "fast")
    analyser = cull.Analyser(spec, str(tmp_path / "cache"), 256, heif=False)
    photo = analyser(path, path.name)
    assert not photo.readable and photo.error == cull.HEIF_MISSING
