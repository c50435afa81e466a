"""Bytes of an article file to text: the encodings news archives use, told apart; binary refused.

UTF-8 is read as it is; a byte-order mark or the bytes' NUL pattern says UTF-16; anything else
is weighed by charset-normalizer (a maintained detector) among the legacy encodings English and
Chinese news comes in, and where several readings are equally clean, by what the bytes look like:
single high bytes among ASCII are a Western code page, runs of them a Chinese or Japanese one.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable


class NotText(ValueError):
    """The bytes are not text in any encoding we read; the message says why."""


# The legacy encodings weighed, as Python names them, with how a message names them. Windows-1252
# stands for Latin-1 too (it is its superset, and what browsers read a "latin-1" page as).
LEGACY = {
    "cp1252": "Windows-1252/Latin-1",
    "gb18030": "GB18030/GBK",
    "big5": "Big5",
    "shift_jis": "Shift-JIS",
    "euc_jp": "EUC-JP",
    "euc_kr": "EUC-KR",
    "cp1251": "Windows-1251",
    "koi8_r": "KOI8-R",
    "cp1250": "Windows-1250",
    "iso8859_7": "ISO-8859-7",
    "cp1254": "Windows-1254",
    "cp1256": "Windows-1256",
    "cp1255": "Windows-1255",
    "latin_1": "ISO-8859-1",
}
_CJK = ("gb18030", "big5", "shift_jis", "euc_jp", "euc_kr")
_WESTERN = ("cp1252", "latin_1", "cp1250", "cp1254")
TRIED = "UTF-8, UTF-16, " + ", ".join(LEGACY.values())
# A reading this much messier than the cleanest one (charset-normalizer's chaos ratio) is not a tie.
_TIE = 0.01

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def decode(data: bytes) -> str:
    """Text from bytes: BOM, else UTF-8, else UTF-16 by its NUL pattern, else the likeliest legacy encoding."""
    if not data.strip():
        raise NotText("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data[len(bom):].decode(encoding))
            except UnicodeDecodeError:
                raise NotText(f"not valid {encoding.upper()} although it starts with that byte-order mark") from None
    if b"\x00" in data[:8192]:
        utf16 = _utf16_without_bom(data)
        if utf16 is None:
            raise NotText("binary file (contains NUL bytes)")
        return _checked(utf16)
    try:
        return _checked(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    return _checked(_legacy(data))


def decode_as(data: bytes, declared: str) -> str | None:
    """Text in a declared encoding (a page's meta charset) when the bytes really are in it, else None."""
    name = _codec(declared)
    if name is None:
        return None
    try:
        text = data.decode(name)
    except UnicodeDecodeError:
        return None
    if name == "gb18030":  # pages declare GB2312/GBK for Big5 bytes too rarely to trust blindly
        text = _gb_or_big5(data, text)
    return text


def _codec(declared: str) -> str | None:
    """Python's codec for a declared charset, read as browsers read it (Latin-1 and ASCII as Windows-1252)."""
    try:
        name = codecs.lookup(declared.strip().strip("'\"")).name
    except (LookupError, ValueError):
        return None
    if name in ("latin-1", "iso8859-1", "ascii", "iso8859-15"):
        return "cp1252"
    if name in ("gb2312", "gbk", "hz"):
        return "gb18030"
    return name


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text saved without a byte-order mark: NULs on one side of each byte pair (ASCII characters)."""
    sample = data[:8192]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    # Text with any Latin in it has NULs in a third or more of one side's bytes, and the other
    # side almost none; stray NULs in a binary file do not line up like that.
    if max(even, odd) < 4 or max(even, odd) * 3 < len(sample) // 2 or min(even, odd) * 10 > max(even, odd):
        return None
    encoding = "utf-16-le" if odd > even else "utf-16-be"
    try:
        return data[: len(data) - len(data) % 2].decode(encoding)
    except UnicodeDecodeError:
        return None


def _legacy(data: bytes) -> str:
    """The likeliest reading of bytes that are not UTF-8, among the legacy encodings of LEGACY."""
    from charset_normalizer import from_bytes  # here: only files that are not UTF-8 need it

    readings = list(from_bytes(data, cp_isolation=list(LEGACY)))
    if not readings:
        raise NotText(f"no plausible reading as text (tried {TRIED})")
    cleanest = min(r.chaos for r in readings)
    ties = [r.encoding for r in readings if r.chaos <= cleanest + _TIE]
    encoding = _preferred(data, ties)
    text = data.decode(encoding)
    if encoding == "gb18030":
        text = _gb_or_big5(data, text)
    elif encoding == "big5":
        try:
            text = _gb_or_big5(data, data.decode("gb18030"))
        except UnicodeDecodeError:
            pass
    return text


def _preferred(data: bytes, ties: list[str]) -> str:
    """Among equally clean readings, the likelier kind: a Western code page, or a Chinese/Japanese/Korean one.

    Short texts leave the detector undecided ("£300" is clean in Shift-JIS too, two Big5 characters
    clean in Windows-1252), but the bytes are not: accents and quotes in English are lone high
    bytes, while Chinese text is byte pairs that spell common characters.
    """
    kinds = (_CJK, _WESTERN) if _cjk_shaped(data) else (_WESTERN, _CJK)
    for kind in kinds:
        for encoding in kind:
            if encoding in ties:
                return _western(data) if kind is _WESTERN else encoding
    return ties[0]


def _cjk_shaped(data: bytes) -> bool:
    """True when most high bytes start a pair that is a common GB2312 or Big5 character."""
    pairs = lone = 0
    i, end = 0, min(len(data), 65536)
    while i < end:
        if data[i] < 0x80:
            i += 1
            continue
        pair = data[i:i + 2]
        if _common_pair(pair):
            pairs += 1
            i += 2
        else:
            lone += 1
            i += 1
    return pairs > lone


def _common_pair(pair: bytes) -> bool:
    try:
        pair.decode("gb2312")
        return True
    except UnicodeDecodeError:
        pass
    try:
        pair.decode("big5")
    except UnicodeDecodeError:
        return False
    return 0xA4 <= pair[0] <= 0xC6


def _western(data: bytes) -> str:
    # The detector drops readings identical to one it already has (a German text reads the same in
    # Windows-1250 and -1252), so the tie may be named by either: Windows-1252 is what such text is.
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:  # five bytes Windows-1252 leaves unassigned: Latin-1 has them
        return "latin_1"
    return "cp1252"


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


_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f]")  # below space, except tab, newline, form feed, return


def _control_ratio(text: str) -> float:
    sample = text[:8192]
    return len(_CONTROLS.findall(sample)) / max(len(sample), 1)  # a regex: a loop per character costs per file
