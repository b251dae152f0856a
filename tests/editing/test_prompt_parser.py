"""Free-text prompts -> classical operations: vocabulary, strength words, explicit numbers, errors."""

from __future__ import annotations

import re

import numpy as np
import pytest

from red_aes.editing import (
    OPERATIONS,
    VOCABULARY,
    ClassicalEditor,
    Operation,
    UnsupportedEditError,
    describe_operation,
    parse_prompt,
)
from red_aes.editing.operations import jpeg_quality
from red_aes.editing.prompt_parser import (
    ENGLISH_EXAMPLES,
    LIGHT_FACTOR,
    MAX_CLAUSES,
    STRONG_FACTOR,
    PromptNotUnderstoodError,
    looks_non_english,
    supported_edits,
)
from red_aes.errors import InputError
from red_aes.types import DEFAULT_STRENGTH, Attribute


def _default(op: str) -> float:
    return OPERATIONS[op].default


#: prompt -> expected [(operation, amount)], amounts from the documented rules (default x strength word).
PROMPTS = {
    "make it a bit brighter": [("exposure", _default("exposure") * LIGHT_FACTOR)],
    "make it brighter": [("exposure", _default("exposure"))],
    "much warmer": [("temperature", _default("temperature") * STRONG_FACTOR)],
    "make it a lot cooler": [("temperature", -_default("temperature") * STRONG_FACTOR)],
    "+0.7 EV": [("exposure", 0.7)],
    "darken by 1.5 stops": [("exposure", -1.5)],
    "reduce the exposure by 1 EV": [("exposure", -1.0)],
    "rotate 3 degrees": [("rotate", 3.0)],
    "rotate 2° clockwise": [("rotate", -2.0)],
    "rotate 2 degrees counter-clockwise": [("rotate", 2.0)],
    "crop to a square": [("crop_square", 1.0)],
    "crop 10%": [("crop", 0.1)],
    "crop tighter": [("crop", _default("crop"))],
    "less saturated": [("saturation", -_default("saturation"))],
    "make it black and white": [("saturation", -1.0)],
    "make it brighter and warmer": [
        ("exposure", _default("exposure")),
        ("temperature", _default("temperature")),
    ],
    "slightly sharper, then add a lot of grain; rotate -1 degrees": [
        ("sharpen", _default("sharpen") * LIGHT_FACTOR),
        ("grain", _default("grain") * STRONG_FACTOR),
        ("rotate", -1.0),
    ],
    "increase contrast by 20%": [("contrast", 0.2)],
    "make it flatter": [("contrast", -_default("contrast"))],
    "blur 2 px": [("blur", 2.0)],
    "less blur": [("sharpen", _default("sharpen"))],
    "reduce the noise": [("denoise", _default("denoise"))],
    "darken the midtones": [("brightness", -_default("brightness"))],
    "tint it green": [("tint", -_default("tint"))],
    "tint +0.5": [("tint", 0.5)],
    "fix the white balance": [("auto_white_balance", 1.0)],
    "add a strong vignette": [("vignette", _default("vignette") * STRONG_FACTOR)],
    "remove the vignetting": [("vignette", -_default("vignette"))],
    "straighten the horizon": [("straighten", 1.0)],
    "reframe on the rule of thirds": [("crop_thirds", _default("crop_thirds"))],
    "jpeg quality 30": [("jpeg", (95 - 30) / 85)],
    "heavy jpeg compression": [("jpeg", 1.0)],
    "Make it brighter, please!": [("exposure", _default("exposure"))],
    # realistic degradations
    "make it out of focus": [("defocus", _default("defocus"))],
    "make it slightly out of focus": [("defocus", _default("defocus") * LIGHT_FACTOR)],
    "defocus it by 5 px": [("defocus", 5.0)],
    "make it less out of focus": [("sharpen", _default("sharpen"))],
    "add motion blur": [("motion_blur", _default("motion_blur"))],
    "add heavy camera shake": [("motion_blur", _default("motion_blur") * STRONG_FACTOR)],
    "add sensor noise": [("sensor_noise", _default("sensor_noise"))],
    "add a lot of high ISO noise": [("sensor_noise", _default("sensor_noise") * STRONG_FACTOR)],
    "reduce the high ISO noise": [("denoise", _default("denoise"))],
    "compress it repeatedly": [("jpeg_repeat", _default("jpeg_repeat"))],
    "re-save the jpeg several times at quality 40": [("jpeg_repeat", (95 - 40) / 85)],
    "lower the resolution": [("downscale", _default("downscale"))],
    "pixelate it slightly": [("downscale", 1 + (_default("downscale") - 1) * LIGHT_FACTOR)],
    "downscale it by a factor of 3": [("downscale", 3.0)],
    "oversharpen it": [("oversharpen", _default("oversharpen"))],
    "add haze": [("haze", _default("haze"))],
    "make it much hazier": [("haze", _default("haze") * STRONG_FACTOR)],
    "add chromatic aberration": [("chromatic_aberration", _default("chromatic_aberration"))],
    "add strong colour fringing": [
        ("chromatic_aberration", _default("chromatic_aberration") * STRONG_FACTOR)
    ],
    "add some motion blur and make it hazy": [
        ("motion_blur", _default("motion_blur")),
        ("haze", _default("haze")),
    ],
}


@pytest.mark.parametrize("prompt", sorted(PROMPTS))
def test_prompt_maps_to_operations(prompt: str) -> None:
    parsed = [(p.operation.op, p.operation.amount) for p in parse_prompt(prompt)]
    expected = PROMPTS[prompt]
    assert [op for op, _ in parsed] == [op for op, _ in expected]
    assert [amount for _, amount in parsed] == pytest.approx([amount for _, amount in expected])


def test_crop_box_from_numbers() -> None:
    (parsed,) = parse_prompt("crop to 10, 20, 300, 400")
    assert parsed.operation == Operation("crop_box", 1.0, box=(10, 20, 300, 400))


def test_strength_scales_only_implicit_amounts() -> None:
    assert parse_prompt("make it warmer", strength=0.5)[0].operation.amount == pytest.approx(
        0.5 * _default("temperature")
    )
    assert parse_prompt("+0.7 EV", strength=0.5)[0].operation.amount == pytest.approx(0.7)
    # A downscale factor scales from 1 (no change), so a small strength is a mild, valid factor.
    assert parse_prompt("lower the resolution", strength=0.1)[0].operation.amount == pytest.approx(
        1 + 0.1 * (_default("downscale") - 1)
    )
    with pytest.raises(ValueError, match="strength"):
        parse_prompt("make it warmer", strength=1.5)


def test_strong_words_are_capped_at_the_operation_range() -> None:
    (parsed,) = parse_prompt("denoise very strongly")
    assert parsed.operation.amount == OPERATIONS["denoise"].high


@pytest.mark.parametrize("prompt", ["", "   ", "\n\t"])
def test_empty_prompt_is_a_clear_error(prompt: str) -> None:
    with pytest.raises(ValueError, match="edit instruction is empty"):
        parse_prompt(prompt)


@pytest.mark.parametrize(
    ("prompt", "message"),
    [
        ("make it pop", "cannot map 'make it pop'"),
        ("make it brighter and add a unicorn", "cannot map 'add a unicorn'"),
        ("blur the background", "cannot target 'background'"),
        ("tint it", "say which way"),
        ("less jpeg compression", "cannot be reversed"),
        ("please", "no edit found"),
        ("turn the cat into a tiger", "cannot map 'turn the cat into a tiger'"),
        ("remove the motion blur", "motion_blur cannot be reversed"),
        ("make it less hazy", "haze cannot be reversed"),
        ("make it less pixelated", "downscale cannot be reversed"),
        ("add haze to the sky", "cannot target 'sky'"),
    ],
)
def test_unsupported_prompt_is_refused_with_a_few_suggestions(prompt: str, message: str) -> None:
    with pytest.raises(UnsupportedEditError, match=message) as caught:
        parse_prompt(prompt)
    if "cannot map" in message or "no edit found" in message:
        text = str(caught.value)
        assert isinstance(caught.value, PromptNotUnderstoodError)
        suggested = re.search(r"closest supported edits: (.*)$", text)
        assert suggested is not None and 2 <= len(re.findall(r"'[^']+'", suggested.group(1))) <= 3
        assert VOCABULARY not in text and len(text) < 300
        assert "red-aes" not in text  # the parser serves the app too: each front end names its own list


@pytest.mark.parametrize(
    ("prompt", "message"),
    [
        ("rotate 3 px", "rotate takes a bare number or degrees"),
        ("rotate 90 degrees", r"rotate amount 90.0 is outside \[-45.0, 45.0\]"),
        ("jpeg quality 0", "JPEG quality must be between 1 and 95"),
        ("brighter by 1 or 2 EV", "more than one number"),
        ("crop to a square of 300", "crop_square takes no number"),
        ("blur 0 px", "would leave the image unchanged"),
        ("downscale it by a factor of 1", "downscale amount 1 would leave the image unchanged"),
        ("downscale it by a factor of 40", r"downscale amount 40.0 is outside \[1.0, 16.0\]"),
        ("add sensor noise 5%", "sensor_noise takes a bare number"),
    ],
)
def test_bad_numbers_are_clear_errors(prompt: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_prompt(prompt)


@pytest.mark.parametrize(
    "op",
    [
        Operation("exposure", -2.5),
        Operation("exposure", 0.3),
        Operation("contrast", -0.7),
        Operation("saturation", -0.8),
        Operation("saturation", -1.0),
        Operation("vibrance", 0.3),
        Operation("temperature", -3.0),
        Operation("tint", 0.6),
        Operation("blur", 4.0),
        Operation("sharpen", 0.8),
        Operation("grain", 30.0),
        Operation("denoise", 0.8),
        Operation("vignette", 0.3),
        Operation("vignette", -0.3),
        Operation("rotate", -8.0),
        Operation("crop", 0.3),
        Operation("crop_square"),
        Operation("crop_thirds", 0.25),
        Operation("straighten"),
        Operation("auto_white_balance", 0.5),
        Operation("jpeg", 1.0),
        Operation("defocus", 1.0),
        Operation("defocus", 12.0),
        Operation("motion_blur", 10.0),
        Operation("sensor_noise", 30.0),
        Operation("jpeg_repeat", 0.7),
        Operation("downscale", 2.5),
        Operation("oversharpen", 3.0),
        Operation("haze", 0.1),
        Operation("chromatic_aberration", 6.0),
    ],
    ids=lambda op: f"{op.op}{op.amount:+g}",
)
def test_described_operations_parse_back(op: Operation) -> None:
    text = describe_operation(op)
    (parsed,) = parse_prompt(text)
    assert parsed.operation.op == op.op, text
    assert (parsed.operation.amount >= 0) == (op.amount >= 0), text
    if op.op in {"rotate", "downscale"}:
        assert parsed.operation.amount == pytest.approx(op.amount)
    if op.op in {"jpeg", "jpeg_repeat"}:
        assert jpeg_quality(parsed.operation.amount) == jpeg_quality(op.amount)


def test_strength_words_in_descriptions() -> None:
    assert describe_operation(Operation("exposure", -2.5)) == "make it much darker"
    assert describe_operation(Operation("exposure", 0.3)) == "make it slightly brighter"
    assert describe_operation(Operation("temperature", _default("temperature"))) == "make it warmer"


@pytest.mark.parametrize(
    ("prompt", "negated"),
    [
        ("don't make it brighter", "don't"),
        ("Don’t sharpen it", "don't"),
        ("do not add grain", "not"),
        ("make it brighter, not darker", "not"),
        ("no grain please", "no"),
        ("make it warmer without changing the colours", "without"),
        ("never crop it", "never"),
        ("make it not too bright", "not"),
    ],
)
def test_negated_clauses_are_refused_never_applied(prompt: str, negated: str) -> None:
    with pytest.raises(UnsupportedEditError, match=re.escape(f"negations ({negated!r}) are not applied")):
        parse_prompt(prompt)


@pytest.mark.parametrize(
    "prompt",
    ["make it brighter but not too much", "make it brighter, but not too much", "brighter, not too strongly"],
)
def test_not_too_much_is_a_light_strength(prompt: str) -> None:
    (parsed,) = parse_prompt(prompt)
    assert parsed.operation == Operation("exposure", _default("exposure") * LIGHT_FACTOR)


# -- issue 16, section 2: the parser does only what the prompt says ----------------------------------


@pytest.mark.parametrize(
    ("prompt", "named"),
    [
        ("make my 3 kids brighter", "'3 kids' (3 is not an amount"),
        ("<b>brighter</b> <script>alert(1)</script>", "'alert 1' (1 is not an amount"),
        ("make it brighter like a sunset", "did not understand 'like a sunset'"),
        ("add grain because 2 photos", "did not understand 'because 2 photos'"),
    ],
)
def test_words_and_numbers_outside_the_grammar_are_refused_by_name(prompt: str, named: str) -> None:
    with pytest.raises(UnsupportedEditError) as caught:
        parse_prompt(prompt, strength=0.6)
    text = str(caught.value)
    assert named in text and "closest supported edits" in text and len(text) < 400


@pytest.mark.parametrize(
    ("prompt", "op", "amount"),
    [
        ("blur 2 px", "blur", 2.0),
        ("blur 2", "blur", 2.0),
        ("blur by 2", "blur", 2.0),
        ("tint +0.5", "tint", 0.5),
        ("rotate 3 degrees", "rotate", 3.0),
        ("jpeg quality 30", "jpeg", (95 - 30) / 85),
        ("compress it as a JPEG at quality 30", "jpeg", (95 - 30) / 85),
        ("downscale it by a factor of 3", "downscale", 3.0),
    ],
)
def test_numbers_count_where_the_grammar_puts_an_amount(prompt: str, op: str, amount: float) -> None:
    (parsed,) = parse_prompt(prompt, strength=0.6)
    assert parsed.operation.op == op and parsed.operation.amount == pytest.approx(amount)
    assert parsed.explicit


@pytest.mark.parametrize("quality", range(1, 10))
def test_every_jpeg_quality_a_prompt_names_is_applied(quality: int, photos_dir) -> None:
    (parsed,) = parse_prompt(f"jpeg quality {quality}")
    assert jpeg_quality(parsed.operation.amount) == quality
    if quality == 5:
        result = ClassicalEditor().edit(photos_dir / "chelsea.png", "jpeg quality 5")
        assert result.params["operations"][0]["quality"] == 5


def test_yes_no_edits_ignore_strength(photos_dir) -> None:
    for strength in (0.05, 0.6, 1.0):
        assert [p.operation for p in parse_prompt("crop to a square", strength=strength)] == [
            Operation("crop_square", 1.0)
        ]
        assert [p.operation for p in parse_prompt("make it black and white", strength=strength)] == [
            Operation("saturation", -1.0)
        ]
    square = ClassicalEditor().edit(photos_dir / "chelsea.png", "crop to a square", strength=0.6).image
    assert square.width == square.height
    grey = np.asarray(
        ClassicalEditor().edit(photos_dir / "chelsea.png", "make it black and white", strength=0.6).image
    )
    assert np.abs(grey.astype(int) - grey[..., :1]).max() <= 1  # R = G = B: a black-and-white image


def test_a_second_edit_in_one_clause_is_refused() -> None:
    with pytest.raises(UnsupportedEditError, match="'brighter' is a second edit"):
        parse_prompt("make it warmer brighter")
    # keywords of the same attribute belong to one edit
    assert [p.operation.op for p in parse_prompt("darken the midtones")] == ["brightness"]
    assert [p.operation.op for p in parse_prompt("reduce the high ISO noise")] == ["denoise"]


def test_a_misspelt_word_gets_the_close_edit_suggested() -> None:
    with pytest.raises(UnsupportedEditError, match="closest supported edits: 'make it brighter'"):
        parse_prompt("make it brigther")


def test_default_strength_is_the_documented_amount() -> None:
    assert DEFAULT_STRENGTH == 1.0
    (parsed,) = parse_prompt("make it brighter")
    assert parsed.operation == Operation("exposure", _default("exposure"))


@pytest.mark.parametrize("strength", ["abc", "", [0.5], float("nan"), True])
def test_a_strength_that_is_not_a_number_is_a_clear_error(strength: object) -> None:
    with pytest.raises(InputError, match=r"strength must be (a number )?in \(0, 1\]"):
        parse_prompt("make it brighter", strength=strength)  # type: ignore[arg-type]


def test_the_clause_limit_bounds_a_prompt_before_any_work() -> None:
    parse_prompt(", ".join(["add grain"] * MAX_CLAUSES))
    with pytest.raises(InputError, match=f"too many edits: the prompt has 45 clauses, at most {MAX_CLAUSES}"):
        parse_prompt(", ".join(["blur 50 px"] * 45))


# -- issue 24, prompts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "amount"),
    [
        ("add a strong warm colour cast", _default("temperature") * STRONG_FACTOR),
        ("a strong warm color cast", _default("temperature") * STRONG_FACTOR),
        ("make the colours warmer", _default("temperature")),
        ("give it a cool colour cast", -_default("temperature")),
        ("make the white balance a bit warmer", _default("temperature") * LIGHT_FACTOR),
        ("give it warmer tones", _default("temperature")),
    ],
)
def test_colour_words_with_a_white_balance_edit_are_that_edit(prompt: str, amount: float) -> None:
    (parsed,) = parse_prompt(prompt)
    assert parsed.operation.op == "temperature"
    assert parsed.operation.amount == pytest.approx(amount)


def test_colour_words_keep_their_meaning_outside_white_balance() -> None:
    assert [p.operation.op for p in parse_prompt("make the colours more magenta")] == ["tint"]
    assert [p.operation.op for p in parse_prompt("remove the warm colour cast")] == ["auto_white_balance"]
    assert [p.operation.op for p in parse_prompt("make the colours more vivid")] == ["saturation"]
    for prompt, second in (
        ("warmer brighter", "brighter"),
        ("a warm colourful look", "colourful"),
        ("warmer mid-tones", "mid-tones"),
    ):
        with pytest.raises(UnsupportedEditError, match=f"{second!r} is a second edit"):
            parse_prompt(prompt)


@pytest.mark.parametrize(
    "prompt",
    [
        "mach es heller",
        "rends-la plus lumineuse",
        "rends l'image plus lumineuse",
        "hazlo más brillante",
        "сделай ярче",
        "mehr Kontrast bitte",
        "no lo hagas más oscuro",
    ],
)
def test_a_prompt_in_another_language_is_told_only_english_is_understood(prompt: str) -> None:
    assert looks_non_english(prompt)
    with pytest.raises(PromptNotUnderstoodError) as caught:
        parse_prompt(prompt)
    text = str(caught.value)
    assert text.startswith(f"{prompt!r} does not read as English: only English prompts are understood")
    assert "closest supported edits" not in text  # no suggestions drawn from unrelated words
    for example in ENGLISH_EXAMPLES:
        assert f"{example!r}" in text and parse_prompt(example)


@pytest.mark.parametrize(
    "prompt",
    ["make it look like a café", "make it brighter, bitte", "make it pop", "sepia tone", "make it brigther"],
)
def test_a_refused_english_prompt_keeps_its_suggestions(prompt: str) -> None:
    assert not looks_non_english(prompt)
    with pytest.raises(PromptNotUnderstoodError, match="closest supported edits: '"):
        parse_prompt(prompt)


def test_supported_edits_cover_every_operation_and_each_example_parses_to_its_group() -> None:
    edits = supported_edits()
    assert list(edits) == [attribute for attribute in Attribute if attribute in edits]
    ops = set()
    for attribute, examples in edits.items():
        for example in examples:
            (parsed,) = parse_prompt(example)
            assert OPERATIONS[parsed.operation.op].attribute is attribute, example
            ops.add(parsed.operation.op)
    assert ops == set(OPERATIONS)
