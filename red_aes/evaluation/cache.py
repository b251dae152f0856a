"""The prediction cache: every model answer stored once, so that a repeated or interrupted run never
asks the model the same question twice.

An answer is keyed by everything that determines it: the model id, the adapter, the operation
(``score`` one image or ``compare`` two), the decoding mode, the instruction, the SHA-256 of the exact
RGB pixels the model sees, and the scorer's identity as the scorer itself reports it
(:func:`scorer_identity`: its own prompt version, reasoning budget, pixel budget, dtype and the
quantization its weights were loaded with) plus the load options the run asked for. A run with another
quantization, prompt version, reasoning budget or pixel budget therefore asks the model again instead of
reusing answers it did not give, whether or not ``evaluate`` was told the load options.
The store is a SQLite file (atomic transactions, safe to interrupt, one commit per batch) and
append-only: an existing answer is never overwritten. Invalid answers (the model gave no readable
number) are cached too: with greedy decoding, asking again gives the same answer. With each answer
the cache keeps ``forced`` (the reasoning budget ran out) and ``answer_mass`` (fast mode's probability
of well-formed answers).

The key holds the model *string*: if the weights behind a local path change, use a new ``--out``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from red_aes.errors import InputError
from red_aes.scoring import BaseScorer
from red_aes.types import AestheticDelta, AestheticScore, Decoding

_QUERY_CHUNK = 500
#: Scorer attributes that determine its answers (read when present, next to its ``cache_identity()``).
IDENTITY_ATTRIBUTES: tuple[str, ...] = (
    "name",
    "model_name",
    "prompt_version",
    "quantization",
    "dtype",
    "max_reasoning_tokens",
    "max_image_pixels",
)


@dataclass(frozen=True)
class Answer:
    """A model answer as the evaluation uses it: a number, or invalid with the reason; ``forced`` and
    ``answer_mass`` as the scorer reported them."""

    value: float | None
    valid: bool
    error: str | None = None
    forced: bool = False
    answer_mass: float | None = None

    @classmethod
    def from_result(cls, result: AestheticScore | AestheticDelta) -> Answer:
        value = result.score if isinstance(result, AestheticScore) else result.delta
        if result.valid and value is None:
            raise InputError(f"scorer returned valid=True without a number ({result!r})")
        return cls(
            value if result.valid else None,
            result.valid,
            None if result.valid else result.error,
            bool(result.forced),
            None if result.answer_mass is None else float(result.answer_mass),
        )


@dataclass(frozen=True)
class LoadedImage:
    """An RGB image with the digest of its pixels (computed once, reused in every key)."""

    image: Image.Image
    digest: str

    @classmethod
    def of(cls, image: Image.Image) -> LoadedImage:
        return cls(image, image_digest(image))


def _plain(value: Any) -> Any:
    """``value`` as JSON keeps it when it is a plain scalar, else its ``str`` (e.g. a torch dtype)."""
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


def scorer_identity(scorer: BaseScorer) -> dict[str, Any]:
    """What the scorer says determines its answers, as JSON-ready values: the
    :data:`IDENTITY_ATTRIBUTES` it has (missing ones are left out), updated by its ``cache_identity()``
    when it has one, so a backend can report settings the generic list does not name."""
    fields = {name: getattr(scorer, name) for name in IDENTITY_ATTRIBUTES if hasattr(scorer, name)}
    own = getattr(scorer, "cache_identity", None)
    if callable(own):
        fields.update(own())
    return {name: _plain(value) for name, value in fields.items()}


def image_digest(image: Image.Image) -> str:
    """SHA-256 of the mode, size and pixel bytes of ``image``."""
    digest = hashlib.sha256(f"{image.mode}:{image.width}x{image.height}:".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()


class PredictionCache:
    """Append-only SQLite store ``key -> Answer``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60)
        with self._db:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, value REAL, "
                "valid INTEGER NOT NULL, error TEXT, fields TEXT NOT NULL, "
                "forced INTEGER NOT NULL DEFAULT 0, answer_mass REAL)"
            )

    @staticmethod
    def key(fields: dict[str, Any]) -> str:
        """A stable key for the JSON-serialisable ``fields`` that determine an answer."""
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()

    def get_many(self, keys: Sequence[str]) -> dict[str, Answer]:
        """The cached answers among ``keys``."""
        found: dict[str, Answer] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), _QUERY_CHUNK):
            chunk = unique[start : start + _QUERY_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, value, valid, error, forced, answer_mass FROM answers WHERE key IN ({marks})",
                chunk,
            )
            for key, value, valid, error, forced, mass in rows:
                found[key] = Answer(value, bool(valid), error, bool(forced), mass)
        return found

    def put_many(self, records: Iterable[tuple[str, dict[str, Any], Answer]]) -> None:
        """Store ``(key, fields, answer)`` records in one transaction; existing keys are kept as they are."""
        with self._db:
            self._db.executemany(
                "INSERT OR IGNORE INTO answers (key, value, valid, error, fields, forced, answer_mass) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        k,
                        a.value,
                        int(a.valid),
                        a.error,
                        json.dumps(f, sort_keys=True),
                        int(a.forced),
                        a.answer_mass,
                    )
                    for k, f, a in records
                ],
            )

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> PredictionCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class CachedScorer:
    """Answers ``score``/``compare`` questions from the cache first and asks the scorer only the rest.

    ``load_options`` are the options the scorer was loaded with (e.g. ``quantization``); they join the
    key next to :func:`scorer_identity`, so what a backend does not report about itself still counts.
    ``computed`` and ``cached`` count the answers that came from the model and from the cache.
    """

    def __init__(
        self,
        scorer: BaseScorer,
        cache: PredictionCache | None,
        *,
        model_id: str,
        adapter: str | None,
        decoding: Decoding,
        batch_size: int | None = None,
        load_options: dict[str, Any] | None = None,
    ) -> None:
        self.scorer, self.cache = scorer, cache
        self.identity = {
            "model": model_id,
            "adapter": adapter,
            "decoding": decoding,
            "scorer": scorer_identity(scorer),
            "load": {name: _plain(value) for name, value in (load_options or {}).items()},
        }
        self.decoding, self.batch_size = decoding, batch_size
        self.computed = self.cached = 0

    def _answer(self, fields: list[dict[str, Any]], ask: Callable[[list[int]], list[Any]]) -> list[Answer]:
        """Answers for ``fields``; ``ask(positions)`` runs the model on the positions not known yet
        (each distinct question once)."""
        keys = [PredictionCache.key(f) for f in fields]
        known = self.cache.get_many(keys) if self.cache is not None else {}
        todo: list[int] = []
        pending: set[str] = set()
        for i, key in enumerate(keys):
            if key not in known and key not in pending:
                pending.add(key)
                todo.append(i)
        fresh = [Answer.from_result(r) for r in ask(todo)] if todo else []
        if len(fresh) != len(todo):
            raise RuntimeError(f"scorer returned {len(fresh)} results for {len(todo)} inputs")
        if self.cache is not None:
            self.cache.put_many((keys[i], fields[i], a) for i, a in zip(todo, fresh, strict=True))
        self.computed += len(todo)
        self.cached += len(keys) - len(todo)
        answers = {keys[i]: a for i, a in zip(todo, fresh, strict=True)} | known
        return [answers[k] for k in keys]

    def score(self, images: Sequence[LoadedImage]) -> list[Answer]:
        """Absolute scores of ``images``."""
        fields = [{**self.identity, "op": "score", "image": im.digest} for im in images]
        return self._answer(
            fields,
            lambda todo: self.scorer.score(
                [images[i].image for i in todo], decoding=self.decoding, batch_size=self.batch_size
            ),
        )

    def compare(
        self,
        firsts: Sequence[LoadedImage],
        seconds: Sequence[LoadedImage],
        instructions: Sequence[str | None],
    ) -> list[Answer]:
        """Deltas ``score(second) - score(first)`` of the pairs."""
        fields = [
            {**self.identity, "op": "compare", "first": a.digest, "second": b.digest, "instruction": instr}
            for a, b, instr in zip(firsts, seconds, instructions, strict=True)
        ]
        return self._answer(
            fields,
            lambda todo: self.scorer.compare(
                [firsts[i].image for i in todo],
                [seconds[i].image for i in todo],
                [instructions[i] for i in todo],
                decoding=self.decoding,
                batch_size=self.batch_size,
            ),
        )
