"""Bytes behind tokens and the unfinished character at the end of a reply."""

import pytest

from mirror.engine.detokenize import (
    REPLACEMENT_CHAR as R,
    before_stop,
    byte_fallback_bytes,
    byte_level_bytes,
    bytes_reader,
    drop_unfinished,
    unfinished_tail,
)

CHARACTERS = ["é", "ß", "日", "語", "한", "€", "\ufffd", "🪞", "😀", "\U0010ffff", "\u0800", "\U00010000"]


@pytest.mark.parametrize("char", CHARACTERS)
def test_every_proper_prefix_of_a_character_is_unfinished(char):
    data = char.encode()
    for size in range(1, len(data)):
        assert unfinished_tail(b"ok " + data[:size]) == size
    assert unfinished_tail(b"ok " + data) == 0


@pytest.mark.parametrize("data", [
    b"", b"plain", b"\x81", b"\xbf\xbf", b"\xc0", b"\xc1", b"\xf5", b"\xff",
    b"\xe0\x80",  # overlong
    b"\xed\xa0",  # a surrogate
    b"\xf4\x90",  # above U+10FFFF
    b"\xe3A", b"\xe3\x81A",  # a lead byte followed by something else is broken, not unfinished
    "日".encode() + b"\x81",
])
def test_broken_or_complete_bytes_are_not_unfinished(data):
    assert unfinished_tail(data) == 0


def test_unfinished_tail_leaves_the_longest_whole_character_prefix():
    data = "a日本語🪞é€😀z".encode()

    def valid(chunk: bytes) -> bool:
        try:
            chunk.decode()
            return True
        except UnicodeDecodeError:
            return False

    for end in range(len(data) + 1):
        kept = end - unfinished_tail(data[:end])
        assert kept == max(k for k in range(end + 1) if valid(data[:k]))


def test_byte_level_tokens_give_their_bytes():
    # SmolLM2 / GPT-2 byte-level tokens for "日本" + the first byte of "語", and for " 🪞".
    assert b"".join(byte_level_bytes(t) for t in ["æĹ", "¥", "æľ¬", "è"]) == "日本".encode() + b"\xe8"
    assert b"".join(byte_level_bytes(t) for t in ["ĠðŁ", "ª", "ŀ"]) == " 🪞".encode()
    assert byte_level_bytes("▁日本") is None  # not that alphabet


def test_sentencepiece_byte_fallback_tokens_give_their_bytes():
    tokens = ["▁Hello", "▁", "<0xF0>", "<0x9F>", "▁日本"]
    assert b"".join(map(byte_fallback_bytes, tokens)) == b" Hello \xf0\x9f" + " 日本".encode()


def test_bytes_reader_picks_the_scheme_that_explains_the_text():
    assert bytes_reader(["æĹ", "¥", "æľ¬", "è"], "日本\ufffd") is byte_level_bytes
    # A SentencePiece decoder drops the first space and may write one U+FFFD per broken byte.
    assert bytes_reader(["▁Hi", "▁", "<0xF0>", "<0x9F>"], "Hi \ufffd\ufffd") is byte_fallback_bytes
    assert bytes_reader(["▁日本", "<0xE8>", "<0xAA>", "<0x9E>"], "日本語") is byte_fallback_bytes
    assert bytes_reader(["ab"], "something else") is None


def test_drop_unfinished_drops_exactly_the_unfinished_bytes():
    assert drop_unfinished("日本" + R, "日本".encode() + b"\xe8\xaa") == ("日本", 2)
    assert drop_unfinished(R, "🪞".encode()[:3]) == ("", 3)
    assert drop_unfinished("日本語", "日本語".encode()) == ("日本語", 0)
    # A U+FFFD the model wrote itself stays, before an unfinished character or at the very end.
    assert drop_unfinished("ok" + R + R, ("ok" + R).encode() + b"\xe6\x97") == ("ok" + R, 2)
    assert drop_unfinished("ok" + R, ("ok" + R).encode()) == ("ok" + R, 0)
    # A decoder that writes one U+FFFD per byte of the unfinished character.
    assert drop_unfinished("ok" + R * 3, b"ok\xf0\x9f\xaa") == ("ok", 3)
    # Without the bytes, every trailing U+FFFD goes, one byte each.
    assert drop_unfinished("ok" + R + R, None) == ("ok", 2)
    assert drop_unfinished("ok", None) == ("ok", 0)


def test_before_stop():
    assert before_stop("ab".encode() + b"\xe3\x81\nUser: hi", "\nUser:") == b"ab\xe3\x81"
    assert before_stop(b"abc", "\nUser:") is None
    assert before_stop(None, "x") is None


def test_decode_whole_drops_only_the_unfinished_tail(tokenizer):
    """Every cut of an emoji and CJK text: the whole characters before the cut, and the exact bytes left out."""
    from mirror.engine.detokenize import byte_level_bytes, decode_whole

    text = "Mirror 🪞 on 日本語"
    ids = tokenizer(text, add_special_tokens=False).input_ids
    assert decode_whole(tokenizer, ids) == (text, 0)
    data = b"".join(byte_level_bytes(t) for t in tokenizer.convert_ids_to_tokens(ids))
    assert data == text.encode()
    cut_inside = 0
    for cut in range(1, len(ids)):
        prefix = b"".join(byte_level_bytes(t) for t in tokenizer.convert_ids_to_tokens(ids[:cut]))
        whole = prefix.decode("utf-8", errors="ignore")  # the complete characters of the prefix
        shown, dropped = decode_whole(tokenizer, ids[:cut])
        assert (shown, dropped) == (whole, len(prefix) - len(whole.encode())), cut
        assert "\ufffd" not in shown
        cut_inside += dropped > 0
    assert cut_inside >= 3  # the text really was cut inside characters
