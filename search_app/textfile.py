"""Bytes of an article file to text: the encodings news sites use, told apart; binary refused."""

from __future__ import annotations

from typing import Callable


class NotText(ValueError):
    """The bytes are not text in any encoding we read; the message says why."""


# Tried in order; GB18030 covers GB2312/GBK, the usual encodings of mainland sites (Big5, of Taiwan
# and Hong Kong sites, also decodes as GB18030, into rare characters: decode() tells them apart).
ENCODINGS = ("utf-8", "gb18030", "big5")

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def decode(data: bytes) -> str:
    """Text from bytes: by byte-order mark (UTF-8, UTF-16), else UTF-8, GB18030 or Big5; binary refused."""
    if not data.strip():
        raise NotText("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data[len(bom):].decode(encoding))
            except UnicodeDecodeError:
                raise NotText(f"not valid {encoding.upper()} although it starts with that byte-order mark") from None
    if b"\x00" in data[:8192]:
        raise NotText("binary file (contains NUL bytes)")
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "gb18030":
            text = _gb_or_big5(data, text)
        return _checked(text)
    raise NotText("not text in UTF-8, GB18030 or Big5")


def _checked(text: str) -> str:
    if _control_ratio(text) > 0.05:
        raise NotText("binary file (mostly control characters)")
    return text


def _gb_or_big5(data: bytes, gb_text: str) -> str:
    """Big5 bytes (Taiwan, Hong Kong) also decode as GB18030, into rare characters: keep the likelier reading.

    Each reading is scored by its share of ideographs outside the encoding's common set (GB2312's;
    Big5's frequent characters); text of mainland sites scores near zero as GB18030.
    """
    gb_rare = _rare_share(gb_text, _in_gb2312)
    # Private-use characters come only from byte pairs GB18030 leaves unassigned: even one
    # ("臺北" read as GB18030 gives one) says the bytes are not GB text.
    private = any("\ue000" <= ch <= "\uf8ff" for ch in gb_text[:20000])
    if gb_rare < 0.05 and not private:  # mainland text: nothing to weigh
        return gb_text
    try:
        big5_text = data.decode("big5")
    except UnicodeDecodeError:
        return gb_text
    if private:
        return big5_text
    return big5_text if _rare_share(big5_text, _common_big5) < gb_rare else gb_text


def _rare_share(text: str, common: Callable[[str], bool]) -> float:
    # Ideographs only: codecs disagree on punctuation (GB18030 and GB2312 map dashes differently).
    hanzi = [ch for ch in text[:20000] if "\u3400" <= ch <= "\u9fff"]
    if len(hanzi) < 4:  # too few to judge
        return 0.0
    return sum(1 for ch in hanzi if not common(ch)) / len(hanzi)


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _common_big5(ch: str) -> bool:
    try:
        lead = ch.encode("big5")[0]
    except UnicodeEncodeError:
        return False
    return 0xA4 <= lead <= 0xC6  # Big5's 5,401 frequent characters


def _control_ratio(text: str) -> float:
    sample = text[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    return controls / max(len(sample), 1)
