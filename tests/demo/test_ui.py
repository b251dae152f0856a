"""The Gradio wiring of the demo (red_aes.demo.ui), without a server: who gets an error message as plain
text and who as HTML, and the bundled photos the page offers. The app served and driven through its API
is tests/test_app.py's."""

from __future__ import annotations

import pytest

gr = pytest.importorskip("gradio")

from red_aes.demo import DemoConfig, load_backends  # noqa: E402
from red_aes.demo.ui import api_client, build_demo, user_errors  # noqa: E402
from red_aes.errors import InputError  # noqa: E402
from red_aes.resources import example_photos  # noqa: E402

PROMPT_ERROR = "did not understand '<b>sky</b> & sea'"


@pytest.mark.parametrize(
    ("request_", "plain"),
    [
        (gr.Request(headers={"x-gradio-user": "api"}), True),  # gradio_client, @gradio/client
        (gr.Request(headers={"x-gradio-user": "mcp"}), True),  # Gradio's MCP server
        (gr.Request(headers={"x-gradio-user": "app"}), False),  # the page
        (gr.Request(headers={}), False),  # a caller that does not say: shown as HTML, so escaped
        (None, False),
    ],
)
def test_api_clients_get_error_messages_as_written_and_the_page_escaped(request_, plain: bool) -> None:
    assert api_client(request_) is plain
    with pytest.raises(gr.Error) as raised, user_errors(request_):
        raise InputError(PROMPT_ERROR)
    expected = PROMPT_ERROR if plain else "did not understand '&lt;b&gt;sky&lt;/b&gt; &amp; sea'"
    assert raised.value.message == expected


def test_the_page_offers_the_bundled_photos_wherever_they_are_installed() -> None:
    demo = build_demo(DemoConfig(), load_backends(DemoConfig()))
    examples = [block for block in demo.blocks.values() if isinstance(block, gr.Dataset)]
    paths = {str(value) for block in examples for sample in block.raw_samples for value in _flatten(sample)}
    photos = {p for p in paths if p.endswith((".png", ".jpg"))}
    assert photos and all(p.startswith(str(example_photos())) for p in photos)
    demo.close()


def _flatten(value):
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _flatten(item)
    else:
        yield value
