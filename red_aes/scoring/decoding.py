"""How RED-Aes turns a VLM's token distribution into a number: constrained reasoning and expected values.

Both decoding modes work for any tokenizer, because the answer format is checked on the *bytes* each
token stands for, not on token ids.

*Answer grid.* A delta is written ``format_delta(v)`` (``+1.5``) for ``v`` in -9.0, -8.9, ..., +9.0
and a score ``format_score(v)`` (``6.4``) for ``v`` in 1.0, ..., 10.0: one decimal, in range. These
strings are the only answers either mode can produce.

*Reasoning mode* (:class:`AnswerConstraint`). The assistant turn is prefilled with ``<think>`` and decoded
greedily in one ``generate`` call. While thinking, the model may write anything except special tokens
(end of turn, image pads, ...) and except a token that would close ``</think>`` and continue with text
that cannot start ``<answer>``. Once it writes ``</think>`` — or when ``max_reasoning_tokens`` thinking
tokens are spent, at which point ``</think>`` is forced — every further token must keep the text a prefix
of ``<answer>{grid string}</answer>``, and the end-of-turn token follows. Greedy decoding under this
constraint always yields a well-formed, in-range answer, even from an untrained model; the text is then
read with :func:`red_aes.parsing.parse_answer` like any other model output.

*Fast mode* (:func:`expected_answer`). No reasoning; the assistant turn is prefilled with ``<answer>``,
the answer-only form stage-1 SFT trains on (``answer_only_share`` in :mod:`red_aes.train.config`).
For every grid string ``s`` the canonical tokenization of ``<answer>s`` is scored under the model, so
``P(s)`` is the probability that the answer text starts with ``s``. The grid is prefix-free, so these
events are disjoint; their total ``sum_s P(s)`` is the *answer mass* (how likely the model is to write a
well-formed answer at all), and normalising over the grid gives the model's distribution over
well-formed answers, whose expected value ``sum_s P(s) * value(s) / sum_s P(s)`` is the result. A mass
below :data:`MIN_ANSWER_MASS` means the expected value is not the model's answer: the scorer reports
such a result as invalid, with the mass. All grid strings are scored exactly in one extra forward pass:
the token sequences form a trie whose nodes (42 for deltas with a Qwen tokenizer) are packed into one
continuation of the prompt's KV cache with a tree attention mask (each node sees the prompt and its own
ancestors), in the spirit of Q-Align's probability-weighted levels. Only the last prompt position's
logits are computed (``logits_to_keep=1``), not a vocabulary-sized row per prompt token.

*Padded vocabularies.* Checkpoints may have more output rows than tokenizer entries (Qwen2.5-VL-7B:
152,064 rows, 151,665 tokens). Reasoning mode never lets an id at or beyond ``len(tokenizer)`` be chosen;
in fast mode such ids simply take probability away from the well-formed answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers import LogitsProcessor

from red_aes.errors import InputError
from red_aes.parsing import Kind
from red_aes.prompts import ANSWER_CLOSE, ANSWER_OPEN, THINK_CLOSE, format_delta, format_score
from red_aes.types import DELTA_MAX, DELTA_MIN, SCORE_MAX, SCORE_MIN

PAIR_KIND: dict[str, Kind] = {"pair": "delta", "single": "score"}

#: Fast mode: below this total probability of well-formed answers the result is invalid. Half: a
#: number the model would more likely not write at all is not its answer. A trained adapter puts
#: nearly all its mass on well-formed answers; an untrained model puts almost none (the error says how
#: much).
MIN_ANSWER_MASS: float = 0.5


def answer_grid(kind: Kind) -> dict[str, float]:
    """The well-formed answers of ``kind`` (``"delta"`` or ``"score"``): answer string -> value."""
    if kind == "delta":
        low, high, fmt = DELTA_MIN, DELTA_MAX, format_delta
    elif kind == "score":
        low, high, fmt = SCORE_MIN, SCORE_MAX, format_score
    else:
        raise InputError(f"kind must be 'delta' or 'score', got {kind!r}")
    return {fmt(k / 10): k / 10 for k in range(round(low * 10), round(high * 10) + 1)}


def _byte_decoder() -> dict[str, int]:
    """GPT-2's reversible byte <-> printable character map, inverted."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, chars, strict=True)}


def _is_byte_level(tokenizer: Any) -> bool:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None or backend.decoder is None:
        return False
    return '"ByteLevel"' in json.dumps(json.loads(backend.decoder.__getstate__()))


def token_bytes(tokenizer: Any) -> list[bytes | None]:
    """The bytes each token id stands for; ``None`` for special tokens (chat markers, image pads, ...).

    Byte-level BPE tokens (Qwen, Llama 3, GPT-2) are mapped through the GPT-2 byte table; SentencePiece
    tokens map ``▁`` to a space and ``<0xNN>`` to its byte.
    """
    size = len(tokenizer)
    special = set(tokenizer.all_special_ids)
    special |= {i for i, tok in tokenizer.added_tokens_decoder.items() if tok.special}
    pieces = tokenizer.convert_ids_to_tokens(list(range(size)))
    table: list[bytes | None] = []
    if _is_byte_level(tokenizer):
        decoder = _byte_decoder()
        for i, piece in enumerate(pieces):
            ok = piece is not None and i not in special and all(ch in decoder for ch in piece)
            table.append(bytes(decoder[ch] for ch in piece) if ok else None)
        return table
    for i, piece in enumerate(pieces):
        if piece is None or i in special:
            table.append(None)
        elif len(piece) == 6 and piece.startswith("<0x") and piece.endswith(">"):
            table.append(bytes([int(piece[3:5], 16)]))
        else:
            table.append(piece.replace("▁", " ").encode("utf-8"))
    return table


@dataclass(frozen=True)
class _Language:
    """A finite set of byte strings, with the set of their prefixes and the tokens that can occur in them."""

    key: tuple[str, bool]
    complete: frozenset[bytes]
    prefixes: frozenset[bytes]
    candidates: list[tuple[int, bytes]]


class TokenTable:
    """Per-tokenizer tables behind the constraint: token bytes, answer languages, banned thinking tokens.

    Built once per scorer (a linear pass over the vocabulary); the allowed-token sets of each answer
    prefix are computed on first use and cached.
    """

    def __init__(self, tokenizer: Any, eos_token_id: int) -> None:
        self.tokenizer = tokenizer
        self.eos_token_id = eos_token_id
        self.bytes = token_bytes(tokenizer)
        self.special_ids = torch.tensor([i for i, b in enumerate(self.bytes) if not b], dtype=torch.long)
        self._languages: dict[tuple[Kind, bool], _Language] = {}
        self._think_banned: dict[Kind, list[list[int]]] = {}
        self._paths: dict[Kind, tuple[list[int], list[list[int]], list[float]]] = {}
        self._tries: dict[Kind, _Trie] = {}
        self._think_dfa = _dfa(THINK_CLOSE.encode())
        self._tensors: dict[tuple[Any, ...], torch.Tensor] = {}

    def _tensor(
        self, key: tuple[Any, ...], ids: Callable[[], list[int]], device: torch.device
    ) -> torch.Tensor:
        """``ids()`` as a long tensor on ``device``, built and transferred once per key and device."""
        full_key = (*key, str(device))
        if full_key not in self._tensors:
            self._tensors[full_key] = torch.tensor(ids(), dtype=torch.long, device=device)
        return self._tensors[full_key]

    # -- reasoning mode -------------------------------------------------------------------------
    def language(self, kind: Kind, forced_close: bool) -> _Language:
        """``<answer>s</answer>`` for every grid string ``s``, preceded by ``</think>`` when forced."""
        key = (kind, forced_close)
        if key not in self._languages:
            head = (THINK_CLOSE if forced_close else "") + ANSWER_OPEN
            complete = frozenset(f"{head}{s}{ANSWER_CLOSE}".encode() for s in answer_grid(kind))
            prefixes = frozenset(t[:i] for t in complete for i in range(len(t) + 1))
            alphabet = set(b"".join(complete))
            candidates = [(i, b) for i, b in enumerate(self.bytes) if b and set(b) <= alphabet]
            self._languages[key] = _Language(key, complete, prefixes, candidates)
        return self._languages[key]

    def allowed(self, language: _Language, prefix: bytes, device: torch.device) -> torch.Tensor:
        """Token ids that keep ``prefix`` inside ``language`` (only end-of-turn once it is complete)."""
        if prefix in language.complete:
            return self._tensor(("eos",), lambda: [self.eos_token_id], device)

        def ids() -> list[int]:
            found = [i for i, b in language.candidates if prefix + b in language.prefixes]
            if not found:
                raise RuntimeError(f"the tokenizer has no token that continues the answer after {prefix!r}")
            return found

        return self._tensor(("allowed", *language.key, prefix), ids, device)

    def think_banned(self, kind: Kind, state: int, device: torch.device) -> torch.Tensor:
        """Tokens forbidden while thinking, with the ``</think>`` matcher in ``state``."""
        if kind not in self._think_banned:
            closed = self.language(kind, forced_close=False)
            full = len(THINK_CLOSE)
            per_state = []
            for start in range(full):
                banned = set(self.special_ids.tolist())
                for i, b in enumerate(self.bytes):
                    if not b or b">" not in b:
                        continue
                    s = start
                    for j, byte in enumerate(b):
                        s = self._think_dfa[s][byte]
                        if s == full:
                            if b[j + 1 :] not in closed.prefixes:
                                banned.add(i)
                            break
                per_state.append(sorted(banned))
            self._think_banned[kind] = per_state
        return self._tensor(("think", kind, state), lambda: self._think_banned[kind][state], device)

    def advance_think(self, state: int, token: bytes) -> tuple[int, bytes | None]:
        """Feed ``token`` to the ``</think>`` matcher: (new state, bytes after ``</think>`` or None)."""
        for j, byte in enumerate(token):
            state = self._think_dfa[state][byte]
            if state == len(THINK_CLOSE):
                return state, token[j + 1 :]
        return state, None

    # -- fast mode ------------------------------------------------------------------------------
    def answer_paths(self, kind: Kind) -> tuple[list[int], list[list[int]], list[float]]:
        """(shared prefix ids, per-answer continuation ids, values) for ``<answer>s`` over the grid.

        Each path is the canonical tokenization of ``<answer>s</answer>`` cut after the first token that
        covers all of ``<answer>s``; the shared prefix is the longest common token prefix of the paths.
        """
        if kind not in self._paths:
            grid = answer_grid(kind)
            paths = []
            for text in grid:
                ids = self.tokenizer(f"{ANSWER_OPEN}{text}{ANSWER_CLOSE}", add_special_tokens=False)[
                    "input_ids"
                ]
                need, covered, cut = len(f"{ANSWER_OPEN}{text}".encode()), 0, 0
                while covered < need:
                    covered += len(self.bytes[ids[cut]] or b"")
                    cut += 1
                paths.append(ids[:cut])
            shared = 0
            while all(len(p) > shared + 1 and p[shared] == paths[0][shared] for p in paths):
                shared += 1
            self._paths[kind] = (paths[0][:shared], [p[shared:] for p in paths], list(grid.values()))
        return self._paths[kind]

    def answer_trie(self, kind: Kind) -> _Trie:
        """The continuation paths of :meth:`answer_paths` as a trie."""
        if kind not in self._tries:
            self._tries[kind] = _Trie.build(self.answer_paths(kind)[1])
        return self._tries[kind]


def _dfa(pattern: bytes) -> list[list[int]]:
    """KMP automaton over bytes: ``dfa[state][byte]`` -> state; ``len(pattern)`` means matched."""
    dfa = [[0] * 256 for _ in range(len(pattern))]
    dfa[0][pattern[0]] = 1
    restart = 0
    for state in range(1, len(pattern)):
        dfa[state] = dfa[restart][:]
        dfa[state][pattern[state]] = state + 1
        restart = dfa[restart][pattern[state]]
    return dfa


class AnswerConstraint(LogitsProcessor):
    """Greedy-decoding constraint of reasoning mode (see the module docstring), one state per row.

    After generation, :attr:`forced` tells per row whether ``</think>`` had to be forced because the
    reasoning budget ran out (True) or the model closed its reasoning itself (False).
    """

    def __init__(self, table: TokenTable, kind: Kind, prompt_length: int, max_reasoning_tokens: int) -> None:
        if max_reasoning_tokens < 0:
            raise InputError(f"max_reasoning_tokens must be >= 0, got {max_reasoning_tokens}")
        self.table, self.kind, self.prompt_length = table, kind, prompt_length
        self.budget = max_reasoning_tokens
        self.rows: list[dict[str, Any]] = []

    @staticmethod
    def max_new_tokens(max_reasoning_tokens: int, kind: Kind, table: TokenTable) -> int:
        """``generate``'s token budget: thinking, the longest forced answer (>= 1 byte per token), EOS."""
        return max_reasoning_tokens + max(len(t) for t in table.language(kind, True).complete) + 1

    @property
    def forced(self) -> list[bool]:
        """Per row: the answer was forced by the budget (rows that never reached the answer: False)."""
        return [bool(row.get("forced", False)) for row in self.rows]

    def _start(self) -> dict[str, Any]:
        if self.budget == 0:
            return {"phase": "answer", "forced": True, "prefix": b""}
        return {"phase": "think", "state": 0, "count": 0}

    def _update(self, row: dict[str, Any], token: int) -> None:
        if row["phase"] == "answer":
            if token == self.table.eos_token_id:
                row["phase"] = "done"
            else:
                row["prefix"] += self.table.bytes[token] or b""
        elif row["phase"] == "think":
            row["count"] += 1
            row["state"], rest = self.table.advance_think(row["state"], self.table.bytes[token] or b"")
            if rest is not None:
                row.update(phase="answer", forced=False, prefix=rest)
            elif row["count"] >= self.budget:
                row.update(phase="answer", forced=True, prefix=b"")

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if not self.rows:
            self.rows = [self._start() for _ in range(input_ids.shape[0])]
        if input_ids.shape[1] > self.prompt_length:
            for row, token in zip(self.rows, input_ids[:, -1].tolist(), strict=True):
                self._update(row, token)
        scores = scores.clone()
        scores[:, len(self.table.bytes) :] = -torch.inf  # padded output rows stand for no token
        for i, row in enumerate(self.rows):
            if row["phase"] == "think":
                scores[i, self.table.think_banned(self.kind, row["state"], scores.device)] = -torch.inf
            elif row["phase"] == "answer":
                language = self.table.language(self.kind, row["forced"])
                allowed = self.table.allowed(language, row["prefix"], scores.device)
                kept = scores[i, allowed]
                scores[i] = -torch.inf
                scores[i, allowed] = kept
        return scores


def _unwrap(model: Any) -> Any:
    """The transformers model under a PEFT wrapper."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def _uses_mrope(model: Any) -> bool:
    """Whether ``model`` positions tokens with multimodal rotary embeddings (the Qwen-VL family)."""
    return hasattr(getattr(_unwrap(model), "model", None), "get_rope_index")


def _prompt_position_ids(model: Any, attention_mask: torch.Tensor) -> torch.Tensor | None:
    """Left-padding-aware positions for a prompt forward pass (mrope models compute their own)."""
    if _uses_mrope(model):
        return None
    return (attention_mask.long().cumsum(-1) - 1).clamp(min=0)


def _continuation_position_ids(model: Any, start: torch.Tensor, depth: torch.Tensor) -> torch.Tensor:
    """Positions of continuation tokens at ``depth`` after prompts of ``start`` real tokens."""
    text = start[:, None] + depth[None, :]
    if not _uses_mrope(model):
        return text
    deltas = _unwrap(model).model.rope_deltas
    return (text + deltas.to(text.device))[None].expand(3, -1, -1)


@dataclass(frozen=True)
class _Trie:
    """Answer paths as a trie: node tokens/parents/depths (parent before child) and, per path, its steps."""

    tokens: list[int]
    parents: list[int]
    depth: list[int]
    visible: torch.Tensor  # (nodes, nodes): node i may attend to node j (itself and its ancestors)
    step_nodes: (
        torch.Tensor
    )  # (paths, steps): index of the node whose distribution scores the step (0 = root)
    step_tokens: torch.Tensor  # (paths, steps): token of the step
    step_mask: torch.Tensor  # (paths, steps): real step or padding

    @classmethod
    def build(cls, paths: Sequence[Sequence[int]]) -> _Trie:
        index: dict[tuple[int, ...], int] = {(): 0}
        tokens, parents, depth = [], [], []
        for path in paths:
            for cut in range(1, len(path)):
                key = tuple(path[:cut])
                if key not in index:
                    index[key] = len(index)
                    tokens.append(path[cut - 1])
                    parents.append(index[key[:-1]])
                    depth.append(cut - 1)
        steps = max(len(p) for p in paths)
        visible = torch.eye(len(tokens), dtype=torch.bool)
        for node, parent in enumerate(parents):
            if parent:
                visible[node] |= visible[parent - 1]
        step_nodes = torch.zeros(len(paths), steps, dtype=torch.long)
        step_tokens = torch.zeros(len(paths), steps, dtype=torch.long)
        step_mask = torch.zeros(len(paths), steps, dtype=torch.bool)
        for row, path in enumerate(paths):
            for cut, token in enumerate(path):
                step_nodes[row, cut] = index[tuple(path[:cut])]
                step_tokens[row, cut] = token
                step_mask[row, cut] = True
        return cls(tokens, parents, depth, visible, step_nodes, step_tokens, step_mask)

    def attention(self, prompt_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        """Additive 4D mask (batch, 1, nodes, prompt + nodes): the prompt's real tokens and own ancestors."""
        n = len(self.tokens)
        batch = prompt_mask.shape[0]
        full = torch.cat(
            [
                prompt_mask.bool()[:, None, :].expand(batch, n, -1),
                self.visible.to(prompt_mask.device)[None].expand(batch, -1, -1),
            ],
            dim=-1,
        )
        mask = torch.zeros(full.shape, dtype=dtype, device=prompt_mask.device)
        return mask.masked_fill(~full, torch.finfo(dtype).min)[:, None]


@torch.inference_mode()
def expected_answer(
    model: Any, inputs: dict[str, torch.Tensor], table: TokenTable, kind: Kind
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fast mode per prompt row: (expected answer value, answer mass); see the module docstring.

    ``inputs`` are processor outputs whose text ends with the shared answer prefix
    (``TokenTable.answer_paths(kind)[0]``), left padded. The mass is float64 so that the tiny masses of
    an untrained model are reported rather than rounded to 0.
    """
    implementation = getattr(model.config, "_attn_implementation", None)
    if implementation not in ("sdpa", "eager"):
        raise InputError(
            "fast mode needs attn_implementation 'sdpa' or 'eager' (tree attention mask), "
            f"got {implementation!r}"
        )
    shared, _, values = table.answer_paths(kind)
    ids = inputs["input_ids"]
    if shared and not torch.equal(
        ids[:, -len(shared) :], torch.tensor(shared, device=ids.device).expand(len(ids), -1)
    ):
        raise RuntimeError(
            "the prompt does not end with the tokens of the answer prefix; the tokenizer merged across it"
        )
    trie = table.answer_trie(kind)
    mask = inputs["attention_mask"]
    prompt = model(**inputs, position_ids=_prompt_position_ids(model, mask), use_cache=True, logits_to_keep=1)
    root = torch.log_softmax(prompt.logits[:, -1].float(), dim=-1)
    dists = [root[:, None]]
    if trie.tokens:
        dtype = model.get_input_embeddings().weight.dtype
        batch = ids.shape[0]
        node_ids = torch.tensor(trie.tokens, device=ids.device).expand(batch, -1)
        depth = torch.tensor(trie.depth, device=ids.device)
        out = model(
            input_ids=node_ids,
            attention_mask=trie.attention(mask, dtype),
            position_ids=_continuation_position_ids(model, mask.sum(-1), depth),
            cache=prompt.cache,
            use_cache=True,
        )
        dists.append(torch.log_softmax(out.logits.float(), dim=-1))
    logp = torch.cat(dists, dim=1)  # (batch, 1 + nodes, vocab)
    nodes = trie.step_nodes.to(logp.device)
    steps = logp[:, nodes, trie.step_tokens.to(logp.device)]  # (batch, paths, steps)
    # where, not a product: a padded step may read a -inf log-probability (0 * -inf is NaN)
    path_logp = torch.where(trie.step_mask.to(logp.device), steps, 0.0).sum(-1)
    probs = torch.softmax(path_logp, dim=-1)
    expected = probs @ torch.tensor(values, dtype=probs.dtype, device=probs.device)
    return expected, torch.logsumexp(path_logp.double(), dim=-1).exp()
