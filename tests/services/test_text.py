from mirror.text import escape_markdown, visible_whitespace


def test_markdown_is_escaped_to_inert_text():
    out = escape_markdown("<img src=x onerror=alert(1)> **bold** [x](javascript:alert(2)) $x$\nnext")
    assert "\\<img" in out and "\\*\\*bold\\*\\*" in out and "\\[x\\]\\(javascript\\:" in out
    assert "\\$x\\$" in out and out.endswith("  \nnext")


def test_visible_whitespace():
    assert visible_whitespace(" a\tb\n") == "␣a⇥b⏎"
