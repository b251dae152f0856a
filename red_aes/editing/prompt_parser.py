"""Free-text edit prompts -> classical :class:`~red_aes.editing.operations.Operation` lists, and back.

A prompt is split into clauses at commas, semicolons, "and", "then" and "also" ("make it brighter and
warmer" is two operations, applied in order); at most :data:`MAX_CLAUSES` of them. HTML tags are
dropped first. Each clause is matched against :data:`RULES`, in order; the first rule whose keywords occur
decides the operation. Then:

* **Direction**: the keyword's own sign ("warmer" +, "cooler" -), flipped by a decreasing word
  ("less", "reduce", "lower", "remove", "darken", ...) and by an explicit minus sign on the number.
  Paired operations switch partner instead of sign ("less blur" -> sharpen, "remove noise" -> denoise).
* **Amount**: a number counts only where the grammar puts an amount: with a unit ("+0.7 EV", "rotate 3
  degrees", "contrast +20%", "blur 2 px") or right after the edit's keyword or an amount word, with
  only "by", "to", "of", "at" between ("blur 2", "tint +0.5", "jpeg quality 30", "downscale it by a
  factor of 3", "crop to 10,20,300,400"). Such a number is used as given. Any other number ("make my 3
  kids brighter", "alert(1)") is not an amount, and the clause is refused naming it. Without a number the
  amount is the operation's default times a strength word (slightly / a bit / a little: x0.5; none: x1;
  much / a lot / very / strongly: x2; "more" is the plain comparative, x1) times the editor's
  ``strength`` argument (default :data:`~red_aes.types.DEFAULT_STRENGTH`).
* **Yes/no edits** (a square crop, black and white, a crop box) are done or not: strength does not apply.
* **Negation**: a clause that says what not to do ("don't make it brighter", "no grain", "brighter,
  not darker") is refused with :class:`~red_aes.editing.base.UnsupportedEditError` saying why: acting
  on its other words would apply the very edit it rules out. A hedge on the strength ("but not too
  much") is read as "slightly".
* **Every word counts**: a clause with words the parser does not understand ("make it brighter like a
  sunset") is refused with :class:`PromptNotUnderstoodError` (an ``UnsupportedEditError``) naming them,
  with two or three close supported edits (:func:`suggestions`); nothing is silently skipped except filler
  ("please", "make it"). A second edit's keyword in the same clause ("warmer brighter") is refused too:
  edits are joined with "and" or commas. Words that name what an edit changes are understood with it
  ("a warm colour cast", "make the colours warmer": white balance, not saturation). The vocabulary is
  summarised in :data:`VOCABULARY` and listed, one attribute at a time with example instructions, by
  :func:`supported_edits`; messages name only two or three close edits, and the app or command that
  shows them points to the full list.
* **English only**: a refused prompt that reads as another language ("mach es heller", "hazlo más
  brillante") is refused saying that only English prompts are understood, instead of with suggestions
  drawn from unrelated words (:func:`looks_non_english`).

:func:`describe_operation` turns an operation back into a natural instruction ("make it much darker")
that parses to the same operation and direction.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Any

from red_aes.editing.base import (
    UnsupportedEditError,
    check_instruction,
    check_not_negated,
    check_strength,
    soften_hedges,
)
from red_aes.editing.operations import (
    JPEG_BEST,
    OPERATIONS,
    Operation,
    check_operation,
    jpeg_amount,
    jpeg_quality,
)
from red_aes.errors import InputError
from red_aes.types import Attribute


class PromptNotUnderstoodError(UnsupportedEditError):
    """Words of a prompt that map to no edit: the message names them with two or three close supported
    edits, or says that only English is understood; a front end adds where its full list of edits is."""


#: Multipliers of the default amount for strength words (light, plain, strong).
LIGHT_FACTOR, STRONG_FACTOR = 0.5, 2.0

_LIGHT = re.compile(
    r"\b(slight(ly)?|a (little )?bit|a little|a touch|a tad|somewhat|subtly|subtle|gently|gentle|mildly|mild"
    r"|a hint|lightly|light|little|partly|partially)\b"
)
_STRONG = re.compile(
    r"\b(much|a lot( of)?|lots( of)?|very|strongly|strong|significantly|considerably|heavily|heavy"
    r"|dramatically|drastically|extremely|really|way|far|hugely|massively|intensely)\b"
)
_DECREASE = re.compile(
    r"\b(less|reduce[sd]?|reducing|decrease[sd]?|lower|remove|fewer|tone down|turn down|cut|drop"
    r"|darken|darker|deepen|weaken|get rid of|minus|undo)\b"
)
_NUMBER = re.compile(
    r"(?<![\w.])([+-]?)(\d+(?:\.\d+)?|\.\d+)\s*(ev\b|stops?\b|°|degrees?\b|deg\b|%|percent\b|px\b|pixels?\b)?"
)
_REGION = re.compile(r"\b(background|foreground|sky|faces?|skin|eyes?|subject|person|people|highlights?)\b")
_FILLER = frozenset(
    {"please", "can", "could", "would", "you", "kindly", "make", "it", "the", "this", "that", "photo"}
    | {"image", "picture", "shot", "look", "a", "an", "thanks", "thank", "so", "just", "overall", "my"}
    | {"whole", "entire", "its"}
)
#: Words that carry no edit of their own but glue a clause together ("add", "more", "by 2 px", "the rule
#: of thirds"); understood, never reported as unknown.
_GLUE = _FILLER | {
    "add",
    "give",
    "apply",
    "more",
    "some",
    "increase",
    "increased",
    "boost",
    "raise",
    "up",
    "by",
    "to",
    "of",
    "at",
    "on",
    "as",
    "with",
    "rule",
    "factor",
    "amount",
    "quality",
}
#: Words between an amount word and its number ("blur by 2", "a factor of 3", "at quality 40").
_AMOUNT_GLUE = re.compile(r"(?:\b(?:by|to|of|at|a|an|it|about|around|roughly)\b|\s)*$")
#: Words after which a bare number is an amount, whatever the edit ("quality 30", "a factor of 3").
_AMOUNT_WORD = re.compile(r"\b(quality|factor|amount|radius)$")
_DIRECTION_WORDS = re.compile(r"\b(ccw|clockwise|cw|left|right)\b")
_TOKEN = re.compile(r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)|[a-z]+(?:['-][a-z]+)*")
_HTML_TAG = re.compile(r"<[^<>]*>")
#: Most clauses (edits) one prompt may hold: a bound on the work one request can ask for.
MAX_CLAUSES = 12
_SPLIT = re.compile(r"\s*(?:,|;|\band then\b|\bthen\b|\band\b|\balso\b|\bplus\b)\s*")


@dataclass(frozen=True)
class Rule:
    """Keywords that select an operation.

    ``sign``: +1 / -1 for the direction the keyword itself implies, 0 when the clause must say it.
    ``negative``: the partner operation chosen when the direction is negative (e.g. sharpen -> blur);
    None means the operation is signed (``amount`` takes the sign) or, with ``signed=False``, that it
    cannot be reversed. ``default``: the amount for a plain clause at strength 1 (None: the operation's
    default). ``yes_no``: the edit is done or not (operations whose range is one value, such as the
    square crop, are yes/no anyway).
    """

    pattern: re.Pattern[str]
    op: str
    sign: int = 1
    negative: str | None = None
    signed: bool = True
    default: float | None = None
    #: A yes/no edit (black and white): done or not, so strength and strength words do not apply.
    yes_no: bool = False


def _rule(pattern: str, op: str, **kwargs: Any) -> Rule:
    return Rule(re.compile(pattern), op, **kwargs)


#: Clause keywords -> operation, in priority order (the first rule that matches wins).
RULES: tuple[Rule, ...] = (
    _rule(
        r"\b(jpe?g|compress\w*|re-?sav\w*)\b.*\b(repeated(ly)?|several times|many times|multiple times"
        r"|generations?)\b|\b(repeated(ly)?|multiple|several)\b.*\b(jpe?g|compress\w*|re-?sav\w*)",
        "jpeg_repeat",
        signed=False,
    ),
    _rule(r"\b(jpe?g|compress\w*|quality|artefacts?|artifacts?|blocky|blockiness)\b", "jpeg", signed=False),
    _rule(
        r"\bchromatic aberrations?\b|\b(colou?r|purple|chromatic) fring\w*|\bfring(e|es|ing)\b",
        "chromatic_aberration",
        signed=False,
    ),
    _rule(
        r"\b(lower|reduce|decrease|drop|cut)\w*\b.*\bresolution\b|\blow(er)?[- ]?res(olution)?\b"
        r"|\bpixel+at\w*|\bdown-?(scal|sampl)\w*",
        "downscale",
        signed=False,
    ),
    _rule(r"\b(monochrome|gr[ae]yscale)\b", "saturation", sign=-1, default=1.0, yes_no=True),
    _rule(
        r"\b(fix|correct|neutrali[sz]e|auto|remove|repair)\b.*\b(white ?balance|cast)\b",
        "auto_white_balance",
        signed=False,
    ),
    _rule(r"\b(warm(er|th|ing)?|golden|yellower)\b", "temperature"),
    _rule(r"\b(cool(er|ing)?|cold(er)?|blu(er|ish|e))\b", "temperature", sign=-1),
    _rule(r"\b(colou?r )?temperature\b", "temperature"),
    _rule(r"\b(magenta|pink(er|ish)?)\b", "tint"),
    _rule(r"\b(green(er|ish)?)\b", "tint", sign=-1),
    _rule(r"\btint\b", "tint", sign=0),
    _rule(r"\bvignett\w*", "vignette"),
    _rule(r"\bsquare\b", "crop_square", signed=False),
    _rule(r"\b(thirds?|reframe)\b", "crop_thirds", signed=False),
    _rule(r"\b(crop\w*|tighter|zoom in|closer)\b", "crop", signed=False),
    _rule(r"\b(straighten\w*|level|horizon)\b|\b(fix|correct)\b.*\btilt\b", "straighten", signed=False),
    # "turn" only with an angle or a direction: "turn the cat into a tiger" is not a rotation
    _rule(r"\b(rotat\w*|tilt\w*)\b|\bturn\b(?=.*(\d|\bclockwise\b|\bleft\b|\bright\b))", "rotate"),
    _rule(r"\b(denois\w*|noise[- ]?(reduction|free)|clean(er)?)\b", "grain", sign=-1, negative="denoise"),
    _rule(r"\b(sensor|iso)\b.*\bnois\w*|\bhigh[- ]iso\b", "sensor_noise", negative="denoise"),
    _rule(r"\b(nois[ey]\w*|noisier|grain\w*)\b", "grain", negative="denoise"),
    _rule(r"\b(out of focus|defocus\w*|unfocus\w*|misfocus\w*)\b", "defocus", negative="sharpen"),
    _rule(r"\b(motion[- ]blur\w*|camera[- ]shake|shak(y|en|ing|e))\b", "motion_blur", signed=False),
    _rule(r"\b(haz[ey]\w*|hazier|fog\w*|mist[ys]?)\b", "haze", signed=False),
    _rule(r"\b(over-?sharpen\w*|too sharp|halos?)\b", "oversharpen", signed=False),
    _rule(r"\b(soft(en|er)?)\b", "sharpen", sign=-1, negative="blur"),
    _rule(r"\bblur\w*", "sharpen", sign=-1, negative="blur"),
    _rule(r"\b(sharp\w*|crisp\w*|detail(ed)?|in focus)\b", "sharpen", negative="blur"),
    _rule(r"\bvibran(ce|t)\b", "vibrance"),
    _rule(r"\bdesaturat\w*", "saturation", sign=-1),
    _rule(r"\b(muted|dull(er)?|washed[- ]out)\b", "saturation", sign=-1),
    _rule(r"\b(saturat\w*|colou?rful|vivid|colou?rs?)\b", "saturation"),
    _rule(r"\b(brightness|mid-?tones?|shadows)\b", "brightness"),
    _rule(r"\b(darker|darken|dimmer|dim|dark|underexpos\w*)\b", "exposure", sign=-1),
    _rule(r"\b(brighter|brighten|bright|lighter|lighten|overexpos\w*|exposure|ev|stops?)\b", "exposure"),
    _rule(r"\b(contrast\w*|punch\w*)\b", "contrast"),
    _rule(r"\b(flat(ter)?)\b", "contrast", sign=-1),
)

#: Words that name what an attribute's edits change ("a warm colour cast", "make the colours warmer",
#: "warmer tones"): understood in a clause of that attribute's edit, where alone they would be another
#: edit's keyword ("colours": saturation) or no edit at all. "tones" after a hyphen is "mid-tones"
#: (brightness), a second edit.
_SUBJECT_WORDS: dict[Attribute, re.Pattern[str]] = {
    Attribute.WHITE_BALANCE: re.compile(r"\b(colou?rs?|casts?|white ?balance)\b|(?<!-)\btones?\b"),
}

#: Plain-language summary of the vocabulary (for the docs; messages name a few close edits instead).
VOCABULARY = (
    "exposure (brighter/darker, '+0.7 EV'), brightness (mid-tones), contrast (more/less, flatter), "
    "saturation (more/less saturated, muted, black and white), vibrance, white balance (warmer/cooler, "
    "tint green/magenta, fix the white balance), sharpen/soften/blur, add grain/denoise, vignette, crop "
    "(tighter, '10%', square, rule of thirds, 'crop to 10,20,300,400'), rotate 'N degrees' "
    "(clockwise/counter-clockwise), straighten, JPEG 'quality N'; realistic degradations: out of focus, "
    "motion blur/camera shake, sensor (high ISO) noise, compress repeatedly, lower the resolution/pixelate, "
    "oversharpen, haze, chromatic aberration/colour fringing; strength words slightly/a bit, "
    "much/a lot/very; several edits joined by 'and' or commas"
)

#: Units an explicit number may carry, per operation ("" = a bare number); all others take a fraction
#: ("20%" or "0.2"). Operations listed with no unit take no number.
NUMBER_UNITS: dict[str, frozenset[str]] = {
    "exposure": frozenset({"", "ev"}),
    "rotate": frozenset({"", "deg"}),
    "blur": frozenset({"", "px"}),
    "grain": frozenset({""}),
    "jpeg": frozenset({"", "%"}),
    "jpeg_repeat": frozenset({"", "%"}),
    "defocus": frozenset({"", "px"}),
    "motion_blur": frozenset({"", "px"}),
    "sensor_noise": frozenset({""}),
    "downscale": frozenset({""}),
    "chromatic_aberration": frozenset({"", "px"}),
    "crop_square": frozenset(),
    "straighten": frozenset(),
}
_FRACTION_UNITS = frozenset({"", "%"})
_CANONICAL_UNIT = {
    "stop": "ev",
    "stops": "ev",
    "°": "deg",
    "degree": "deg",
    "degrees": "deg",
    "pixel": "px",
    "pixels": "px",
    "percent": "%",
}


@dataclass(frozen=True)
class ParsedOperation:
    """One operation read from a prompt, with the clause it came from."""

    operation: Operation
    text: str
    explicit: bool


def _normalise(prompt: str) -> str:
    text = _HTML_TAG.sub(" ", prompt.lower().replace("’", "'"))
    text = re.sub(r"\bblack\s*(?:and|&|-)\s*white\b|\bb\s*[/&]\s*w\b", "monochrome", text)
    text = re.sub(r"\b(counter|anti)[\s-]?clockwise\b", "ccw", text)
    text = soften_hedges(text)  # "brighter but not too much" is a light strength, not a negation
    # Commas between numbers belong to a crop box, not to the clause list.
    return re.sub(r"(?<=\d)\s*,\s*(?=[+-]?\d)", " ", text)


def _strength_factor(clause: str) -> float:
    if _LIGHT.search(clause):
        return LIGHT_FACTOR
    if _STRONG.search(clause):
        return STRONG_FACTOR
    return 1.0


def _explicit_amount(op: str, value: float, unit: str, clause: str) -> float:
    """The magnitude of an explicit number for ``op`` (ValueError for a unit ``op`` does not take)."""
    unit = _CANONICAL_UNIT.get(unit, unit)
    allowed = NUMBER_UNITS.get(op, _FRACTION_UNITS)
    if not allowed:
        raise InputError(f"in {clause!r}: {op} takes no number")
    if unit not in allowed:
        names = {"": "a bare number", "ev": "EV/stops", "deg": "degrees", "px": "px", "%": "%"}
        units = " or ".join(names[u] for u in sorted(allowed))
        raise InputError(f"in {clause!r}: {op} takes {units}, not {unit!r}")
    if op in ("jpeg", "jpeg_repeat"):
        if not 1 <= value <= JPEG_BEST:
            raise InputError(f"in {clause!r}: JPEG quality must be between 1 and {JPEG_BEST}, got {value:g}")
        return jpeg_amount(value)
    return value / 100.0 if unit == "%" else value


def _rotation_sign(clause: str) -> int:
    if re.search(r"\b(ccw|left)\b", clause):
        return 1
    if re.search(r"\b(clockwise|cw|right)\b", clause):
        return -1
    return 0


def _first_rule(clause: str) -> tuple[Rule, re.Match[str]] | None:
    """The first rule of :data:`RULES` whose keywords occur in ``clause``, with the match."""
    for rule in RULES:
        match = rule.pattern.search(clause)
        if match:
            return rule, match
    return None


def _parse_clause(clause: str, strength: float) -> ParsedOperation | None:
    """One clause -> one operation (None for pure filler such as "please")."""
    found = _first_rule(clause)
    if found is None:
        if set(clause.split()) <= _FILLER:
            return None
        words = [w for w in _TOKEN.findall(clause) if w not in _GLUE]
        raise PromptNotUnderstoodError(f"cannot map {clause!r} to an edit; {_suggestion_text(clause, words)}")
    rule, match = found
    if (region := _REGION.search(clause)) and OPERATIONS[rule.op].attribute is not Attribute.COMPOSITION:
        raise UnsupportedEditError(
            f"in {clause!r}: the classical editor edits the whole image and cannot target "
            f"{region.group(0)!r}; use a diffusion editor (--editor MODEL_ID) for local edits"
        )
    understood = _understood_spans(clause, rule)
    numbers = list(_NUMBER.finditer(clause))
    if rule.op == "crop" and len(numbers) == 4:
        box = tuple(int(float(m.group(1) + m.group(2))) for m in numbers)
        _check_all_understood(clause, [*understood, *(m.span() for m in numbers)])
        return ParsedOperation(Operation("crop_box", 1.0, box=box), clause, explicit=True)  # type: ignore[arg-type]
    amounts = [m for m in numbers if _is_amount(clause, m, rule)]
    if len(amounts) > 1:
        raise InputError(f"in {clause!r}: more than one number; give one amount per edit")
    # Direction: the keyword's sign, flipped by a decreasing word outside the keyword itself and by an
    # explicit minus sign on the number.
    direction = (_rotation_sign(clause) or 1) if rule.op == "rotate" else rule.sign
    decreasing = bool(_DECREASE.search(clause[: match.start()] + " " + clause[match.end() :]))
    if direction == 0:
        if not decreasing and not amounts:
            raise UnsupportedEditError(f"in {clause!r}: say which way, e.g. 'tint it green', 'more magenta'")
        direction = 1
    if decreasing:
        direction = -direction
    if amounts and amounts[0].group(1) == "-":
        direction = -direction
    op = rule.op
    if direction < 0 and rule.negative is not None:
        op = rule.negative
    elif direction < 0 and not rule.signed:
        raise UnsupportedEditError(f"in {clause!r}: {op} cannot be reversed")
    _check_all_understood(clause, [*understood, *(m.span() for m in amounts)])
    spec = OPERATIONS[op]
    base = rule.default if rule.default is not None and op == rule.op else spec.default
    if amounts:
        number = amounts[0]
        magnitude = _explicit_amount(op, float(number.group(2)), number.group(3) or "", clause)
    elif rule.yes_no or spec.low == spec.high:
        magnitude = base  # a yes/no edit: strength does not apply
    else:
        # Strength scales the distance from the neutral amount (a downscale factor of 1 changes nothing).
        origin = spec.neutral or 0.0
        magnitude = min(
            origin + (base - origin) * _strength_factor(clause) * strength, max(abs(spec.low), abs(spec.high))
        )
    signed = rule.signed and rule.negative is None
    operation = Operation(op, direction * magnitude if signed else magnitude)
    return ParsedOperation(operation, clause, explicit=bool(amounts))


def _is_amount(clause: str, number: re.Match[str], rule: Rule) -> bool:
    """Whether ``number`` stands where the grammar puts an amount: it has a unit, or it follows the
    edit's keyword or an amount word ("quality", "factor"), with only "by", "to", "of", "at" between."""
    if number.group(3):
        return True
    before = _AMOUNT_GLUE.sub("", clause[: number.start()])
    if not before:
        return False
    if _AMOUNT_WORD.search(before):
        return True
    return any(m.end() == len(before) for m in rule.pattern.finditer(before))


def _understood_spans(clause: str, rule: Rule) -> list[tuple[int, int]]:
    """Character spans of ``clause`` the parser reads: the rule's keywords (and keywords of other rules
    for the same attribute: "darken the midtones", "high ISO noise"), the words naming what the edit
    changes (:data:`_SUBJECT_WORDS`), strength and decreasing words, and a rotation's direction. A keyword
    of another attribute's edit is refused as a second edit."""
    attribute = OPERATIONS[rule.op].attribute
    spans = [m.span() for m in rule.pattern.finditer(clause)]
    if attribute in _SUBJECT_WORDS:
        spans += [m.span() for m in _SUBJECT_WORDS[attribute].finditer(clause)]
    for pattern in (_LIGHT, _STRONG, _DECREASE):
        spans += [m.span() for m in pattern.finditer(clause)]
    if rule.op == "rotate":
        spans += [m.span() for m in _DIRECTION_WORDS.finditer(clause)]
    for other in RULES:
        if other is rule:
            continue
        for m in other.pattern.finditer(clause):
            if _covered(m.span(), spans):
                continue
            if OPERATIONS[other.op].attribute is attribute:
                spans.append(m.span())
            else:
                raise UnsupportedEditError(
                    f"in {clause!r}: {m.group(0)!r} is a second edit; give one edit per clause, joined "
                    "by 'and' or commas (e.g. 'make it warmer and brighter')"
                )
    return spans


def _covered(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(start < span[1] and span[0] < end for start, end in spans)


def _check_all_understood(clause: str, spans: list[tuple[int, int]]) -> None:
    """Refuse ``clause`` when it holds words outside ``spans`` that are not glue, naming them (runs of
    them, as written) with close supported edits."""
    tokens = list(_TOKEN.finditer(clause))
    unknown = [not _covered(t.span(), spans) and t.group(0) not in _GLUE for t in tokens]
    if not any(unknown):
        return
    runs: list[tuple[int, int]] = []
    for index, token in enumerate(tokens):
        if not unknown[index]:
            continue
        if runs and all(
            not unknown[j] and t.group(0) in _FILLER and not _covered(t.span(), spans)
            for j, t in enumerate(tokens[runs[-1][2] + 1 : index], start=runs[-1][2] + 1)
        ):
            runs[-1] = (runs[-1][0], token.end(), index)  # type: ignore[assignment]
        else:
            runs.append((token.start(), token.end(), index))  # type: ignore[arg-type]
    words = [" ".join(t.group(0) for t in tokens if start <= t.start() < end) for start, end, *_ in runs]
    numbers = [
        t.group(0) for t, bad in zip(tokens, unknown, strict=True) if bad and _NUMBER.fullmatch(t.group(0))
    ]
    note = (
        f" ({', '.join(numbers)} is not an amount: an amount follows its edit, e.g. '+0.7 EV', 'blur 2 px', "
        "'jpeg quality 30', 'rotate 3 degrees')"
        if numbers
        else ""
    )
    shown = ", ".join(repr(w) for w in words)
    raise PromptNotUnderstoodError(
        f"in {clause!r}: did not understand {shown}{note}; {_suggestion_text(clause, words)}"
    )


def parse_prompt(prompt: str, *, strength: float | None = None) -> list[ParsedOperation]:
    """Operations for a free-text prompt, in the order written.

    ``strength`` in (0, 1] scales the amounts of clauses without an explicit number (None:
    :data:`~red_aes.types.DEFAULT_STRENGTH`). Every operation is range-checked. Raises
    InputError for an empty prompt, more than :data:`MAX_CLAUSES` edits, or a bad or out-of-range
    number, and :class:`UnsupportedEditError` for words it cannot map (saying so plainly for a prompt that
    is not in English, :func:`looks_non_english`).
    """
    text = check_instruction(prompt)
    factor = check_strength(strength)
    try:
        return _parse_text(text, factor)
    except UnsupportedEditError as err:
        if looks_non_english(text):
            raise PromptNotUnderstoodError(
                f"{text!r} does not read as English: only English prompts are understood; say the edit "
                f"in English, e.g. {', '.join(repr(e) for e in ENGLISH_EXAMPLES)}"
            ) from err
        raise


def _parse_text(text: str, factor: float) -> list[ParsedOperation]:
    """The operations of a checked prompt at strength ``factor`` (see :func:`parse_prompt`)."""
    clauses = [c.strip(" .!?") for c in _SPLIT.split(_normalise(text))]
    clauses = [c for c in clauses if c and not set(c.split()) <= _FILLER]
    if len(clauses) > MAX_CLAUSES:
        raise InputError(
            f"too many edits: the prompt has {len(clauses)} clauses, at most {MAX_CLAUSES} are applied per "
            "prompt; split it into several edits"
        )
    parsed: list[ParsedOperation] = []
    for clause in clauses:
        check_not_negated(clause)
        found = _parse_clause(clause, factor)
        if found is not None:
            check_operation(found.operation)
            parsed.append(found)
    if not parsed:
        raise PromptNotUnderstoodError(f"no edit found in {text!r}; {_suggestion_text(text.lower())}")
    return parsed


#: Instructions quoted to someone who wrote a prompt in another language.
ENGLISH_EXAMPLES: tuple[str, ...] = ("make it brighter", "more contrast", "make it a bit warmer")
#: Function words of the languages a prompt is most often written in instead (German, French, Spanish,
#: Italian, Portuguese, Dutch) that are not English words; "l" and "qu" are French and Italian elisions
#: ("l'image").
_FOREIGN_WORDS = frozenset(
    word
    for words in (
        "der die das den dem ein eine einen und ist es mit mehr etwas bitte mach mache machen bild nicht",
        "le la les un une des du et est avec sans pour moins rends rendre fais faire ce cette l qu",
        "el los las una del y hazlo hazla haz hacer muy menos por favor lo",
        "il gli di che rendi rendila fai molto meno della",
        "deixe deixa torne mais muito um uma com da",
        "maak het een meer minder iets en van foto",
    )
    for word in words.split()
)
#: Words both English and common in other languages' prompts ("a", "image", "photo", "plus"): neither
#: side's evidence.
_SHARED_WORDS = frozenset({"a", "as", "image", "on", "photo", "plus", "so"})
_LETTERS = re.compile(r"[^\W\d_]+")


def _is_english_word(word: str) -> bool:
    """Whether ``word`` is an English word the parser reads: glue, a strength or decreasing word, or
    the whole of an edit's keyword."""
    if word in _SHARED_WORDS:
        return False
    patterns = [rule.pattern for rule in RULES] + [_LIGHT, _STRONG, _DECREASE]
    return word in _GLUE or any(pattern.fullmatch(word) for pattern in patterns)


def looks_non_english(text: str) -> bool:
    """Whether ``text`` reads as a language other than English: more of its words are marked as foreign
    (a letter outside ASCII: "más", "сделай"; or a common function word of another language: "es",
    "la", "und") than are English words the parser reads. A simple, dependency-free test meant only to
    tell a refused prompt's writer why; one foreign word among English ones ("a café look") does not
    count, nor does a prompt with no marked word."""
    words = _LETTERS.findall(text.lower())
    foreign = sum(not word.isascii() or word in _FOREIGN_WORDS for word in words)
    return foreign > sum(_is_english_word(word) for word in words)


#: Instruction wording per (operation, sign): template and its light and strong strength words.
_PHRASES: dict[tuple[str, int], tuple[str, str, str]] = {
    ("exposure", 1): ("make it {w}brighter", "slightly ", "much "),
    ("exposure", -1): ("make it {w}darker", "slightly ", "much "),
    ("brightness", 1): ("{w}brighten the midtones", "slightly ", "strongly "),
    ("brightness", -1): ("{w}darken the midtones", "slightly ", "strongly "),
    ("contrast", 1): ("give it {w}more contrast", "slightly ", "much "),
    ("contrast", -1): ("give it {w}less contrast", "slightly ", "much "),
    ("saturation", 1): ("make the colours {w}more saturated", "slightly ", "much "),
    ("saturation", -1): ("make the colours {w}less saturated", "slightly ", "much "),
    ("vibrance", 1): ("{w}increase the vibrance", "slightly ", "strongly "),
    ("vibrance", -1): ("{w}reduce the vibrance", "slightly ", "strongly "),
    ("temperature", 1): ("make it {w}warmer", "slightly ", "much "),
    ("temperature", -1): ("make it {w}cooler", "slightly ", "much "),
    ("tint", 1): ("make it {w}more magenta", "slightly ", "much "),
    ("tint", -1): ("make it {w}greener", "slightly ", "much "),
    ("auto_white_balance", 1): ("{w}fix the white balance", "partly ", ""),
    ("sharpen", 1): ("make it {w}sharper", "slightly ", "much "),
    ("blur", 1): ("make it {w}blurrier", "slightly ", "much "),
    ("grain", 1): ("add {w}grain", "a little ", "a lot of "),
    ("denoise", 1): ("{w}reduce the noise", "slightly ", "strongly "),
    ("vignette", 1): ("add a {w}vignette", "slight ", "strong "),
    ("vignette", -1): ("{w}remove the vignetting", "partly ", ""),
    ("crop", 1): ("crop {w}tighter", "slightly ", "much "),
    ("crop_thirds", 1): ("{w}reframe on the rule of thirds", "slightly ", "strongly "),
    ("straighten", 1): ("{w}straighten the horizon", "partly ", ""),
    ("defocus", 1): ("make it {w}out of focus", "slightly ", "very "),
    ("motion_blur", 1): ("add {w}motion blur", "slight ", "strong "),
    ("sensor_noise", 1): ("add {w}high ISO sensor noise", "a little ", "a lot of "),
    ("oversharpen", 1): ("{w}oversharpen it", "slightly ", "heavily "),
    ("haze", 1): ("add {w}haze", "a little ", "a lot of "),
    ("chromatic_aberration", 1): ("add {w}chromatic aberration", "slight ", "strong "),
}


def describe_operation(op: Operation) -> str:
    """A natural-language instruction for ``op`` that :func:`parse_prompt` reads back as the same
    operation and direction ("make it much darker"). Amounts are rounded to a strength word (under 0.75x
    the default: light, from 1.5x: strong), except rotation, JPEG quality, downscale factors and crop
    boxes, which are spelled out exactly."""
    if op.op == "rotate":
        return f"rotate {abs(op.amount):g} degrees {'counter-clockwise' if op.amount >= 0 else 'clockwise'}"
    if op.op == "jpeg":
        return f"compress it as a JPEG at quality {jpeg_quality(op.amount)}"
    if op.op == "jpeg_repeat":
        return f"compress it repeatedly as a JPEG at quality {jpeg_quality(op.amount)}"
    if op.op == "downscale":
        return f"downscale it by a factor of {op.amount:g}"
    if op.op == "crop_square":
        return "crop to a square"
    if op.op == "crop_box" and op.box is not None:
        return "crop to " + ",".join(str(v) for v in op.box)
    if op.op == "saturation" and math.isclose(op.amount, -1.0):
        return "make it black and white"
    entry = _PHRASES.get((op.op, 1 if op.amount >= 0 else -1))
    if entry is None:
        raise UnsupportedEditError(f"no instruction wording for {op.op} with amount {op.amount}")
    template, light, strong = entry
    ratio = abs(op.amount) / OPERATIONS[op.op].default
    return template.format(w=light if ratio < 0.75 else strong if ratio >= 1.5 else "")


#: Instructions the suggestions of an error message are drawn from: one per operation and direction,
#: and the numbered forms.
_EXAMPLES: tuple[str, ...] = tuple(
    dict.fromkeys(
        [template.format(w="") for template, _, _ in _PHRASES.values()]
        + [
            "+0.7 EV",
            "blur 2 px",
            "rotate 3 degrees clockwise",
            "jpeg quality 30",
            "crop 10%",
            "crop to a square",
            "make it black and white",
            "crop to 10,20,300,400",
            "compress it repeatedly",
            "lower the resolution",
            "increase contrast by 20%",
        ]
    )
)


def supported_edits() -> dict[Attribute, tuple[str, ...]]:
    """Every edit the parser understands, as example instructions grouped by the attribute their
    operation changes (in :class:`~red_aes.types.Attribute` order): the instructions the suggestions are
    drawn from, each placed by the operation it parses to, so the list cannot drift from the parser.
    For a front end's list of supported edits."""
    grouped: dict[Attribute, list[str]] = {}
    for example in _EXAMPLES:
        (parsed,) = parse_prompt(example)
        grouped.setdefault(OPERATIONS[parsed.operation.op].attribute, []).append(example)
    return {attribute: tuple(grouped[attribute]) for attribute in Attribute if attribute in grouped}


def suggestions(text: str, words: list[str] | None = None, n: int = 3) -> list[str]:
    """Up to ``n`` supported instructions close to ``text``: first those using a vocabulary word close
    to one of ``words`` (a misspelt "brigter" -> "make it brighter"), then the closest whole
    instructions (:mod:`difflib`)."""
    vocabulary = sorted({w for example in _EXAMPLES for w in _TOKEN.findall(example)} - _GLUE)
    found: list[str] = []
    for word in words or []:
        for token in _TOKEN.findall(word):
            for close in difflib.get_close_matches(token, vocabulary, n=1, cutoff=0.75):
                found += [e for e in _EXAMPLES if close in _TOKEN.findall(e)][:1]
    found += difflib.get_close_matches(text, _EXAMPLES, n=n, cutoff=0.0)
    return list(dict.fromkeys(found))[:n]


def _suggestion_text(text: str, words: list[str] | None = None) -> str:
    shown = ", ".join(repr(s) for s in suggestions(text, words))
    return f"closest supported edits: {shown}"
