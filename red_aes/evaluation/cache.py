"""The prediction cache: every model answer stored once, so that a repeated or interrupted run never
asks the model the same question twice.

An answer is keyed by everything that determines it: the model id, the adapter, the operation
(``score`` one image or ``compare`` two), the decoding mode, the prompt version, the instruction and
the SHA-256 of the exact RGB pixels the model sees. The store is a SQLite file (atomic transactions,
safe to interrupt, one commit per batch) and append-only: an existing answer is never overwritten.
Invalid answers (the model gave no readable number) are cached too: with greedy decoding, asking
again gives the same answer.

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

from red_aes.prompts import PROMPT_VERSION
from red_aes.scorers import BaseScorer
from red_aes.types import AestheticDelta, AestheticScore, Mode

_QUERY_CHUNK = 500


@dataclass(frozen=True)
class Answer:
    """A model answer as the evaluation uses it: a number, or invalid with the reason."""

    value: float | None
    valid: bool
    error: str | None = None

    @classmethod
    def from_result(cls, result: AestheticScore | AestheticDelta) -> Answer:
        value = result.score if isinstance(result, AestheticScore) else result.delta
        if result.valid and value is None:
            raise ValueError(f"scorer returned valid=True without a number ({result!r})")
        return cls(value if result.valid else None, result.valid, None if result.valid else result.error)


@dataclass(frozen=True)
class LoadedImage:
    """An RGB image with the digest of its pixels (computed once, reused in every key)."""

    image: Image.Image
    digest: str

    @classmethod
    def of(cls, image: Image.Image) -> LoadedImage:
        return cls(image, image_digest(image))


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
                "CREATE TABLE IF NOT EXISTS answers "
                "(key TEXT PRIMARY KEY, value REAL, valid INTEGER NOT NULL, error TEXT, fields TEXT NOT NULL)"
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
                f"SELECT key, value, valid, error FROM answers WHERE key IN ({marks})", chunk
            )
            for key, value, valid, error in rows:
                found[key] = Answer(value, bool(valid), error)
        return found

    def put_many(self, records: Iterable[tuple[str, dict[str, Any], Answer]]) -> None:
        """Store ``(key, fields, answer)`` records in one transaction; existing keys are kept as they are."""
        with self._db:
            self._db.executemany(
                "INSERT OR IGNORE INTO answers (key, value, valid, error, fields) VALUES (?, ?, ?, ?, ?)",
                [(k, a.value, int(a.valid), a.error, json.dumps(f, sort_keys=True)) for k, f, a in records],
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

    ``computed`` and ``cached`` count the answers that came from the model and from the cache.
    """

    def __init__(
        self,
        scorer: BaseScorer,
        cache: PredictionCache | None,
        *,
        model_id: str,
        adapter: str | None,
        decoding: Mode,
        batch_size: int | None = None,
    ) -> None:
        self.scorer, self.cache = scorer, cache
        self.identity = {
            "model": model_id,
            "adapter": adapter,
            "decoding": decoding,
            "prompt": PROMPT_VERSION,
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
                [images[i].image for i in todo], mode=self.decoding, batch_size=self.batch_size
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
                mode=self.decoding,
                batch_size=self.batch_size,
            ),
        )
