"""Article file bytes to text (search_app.ingest.decoding): the encodings news archives come in, and what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from search_app.ingest.decoding import TRIED, NotText, decode, decode_as
from search_app.ingest.records import ingest

ENGLISH = (
    "Shanxi coal sells for \u00a3300 a tonne \u2014 a record\n\n"
    "\u201cWe have never seen prices like it,\u201d said the caf\u00e9 owner in Taiyuan; "
    "traders expect the 2023\u20132024 winter to cost more.\n"
)
ENGLISH_LATIN1 = (
    "Shanxi coal sells for \u00a3300 a tonne\n\n"
    "The caf\u00e9 owner in Taiyuan said prices were up 15\u00b0 on the na\u00efve index; "
    "\u00bd of the city's hotels pay more for heating.\n"
)
GERMAN = (
    "Die Stra\u00dfe in M\u00fcnchen wurde f\u00fcr den Verkehr gesperrt.\n\n"
    "\u201eDas ist \u00fcberf\u00e4llig\u201c, sagte der B\u00fcrgermeister \u2013 die Arbeiten dauern bis M\u00e4rz.\n"
)
JAPANESE = "東京都は新しい図書館を開館しました。\n\n多くの市民が訪れ、館長は「読書の秋を楽しんでほしい」と話しました。\n"
KOREAN = "서울시는 새로운 도서관을 열었습니다.\n\n많은 시민들이 방문했으며 시장은 기쁘다고 말했습니다.\n"
RUSSIAN = "Москва открыла новую библиотеку.\n\nЕё посетили многие жители города, сообщил мэр.\n"
CHINESE_SHORT = "太原新闻"
CHINESE_LONG = (
    "山西省太原市举办煤炭博览会\n\n"
    "来自大同和晋城的访客参观了展览。太原市政府表示，博览会将每年举办一次，吸引更多企业投资。\n"
)
BIG5_SHORT = "臺北 news on Datong"
MIXED = "太原新闻 Taiyuan hosts a coal expo\n\n山西省太原市举办煤炭博览会。Visitors came from Datong.\n"
TAIYUAN = "Taiyuan opens a new library\n\nThe city of Taiyuan opened a new public library on Saturday.\n"


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (ENGLISH, "cp1252"),
        (ENGLISH_LATIN1, "latin-1"),
        ("\u00a3300", "latin-1"),
        (GERMAN, "cp1252"),
        (JAPANESE, "shift_jis"),
        (KOREAN, "euc_kr"),
        (RUSSIAN, "cp1251"),
        (CHINESE_SHORT, "gb18030"),
        (CHINESE_LONG, "gb18030"),
        (BIG5_SHORT, "big5"),
        (TAIYUAN, "utf-16-le"),
        (TAIYUAN, "utf-16-be"),
        (MIXED, "utf-16-le"),
        (MIXED, "utf-16-be"),
        ("\ufeff" + MIXED, "utf-8"),
    ],
    ids=[
        "english-cp1252", "english-latin1", "pounds-latin1", "german-cp1252", "japanese-shift-jis",
        "korean-euc-kr", "russian-cp1251", "chinese-gb18030-short", "chinese-gb18030-long", "big5-two-characters",
        "english-utf16le-no-bom", "english-utf16be-no-bom", "mixed-utf16le-no-bom", "mixed-utf16be-no-bom",
        "utf8-bom",
    ],
)
def test_encodings_are_read(text: str, encoding: str) -> None:
    data = text.encode(encoding)
    if encoding != "utf-8":
        assert data.decode("utf-8", errors="replace") != text  # else the case would not test the detection
    assert decode(data) == text.removeprefix("\ufeff")


def test_undecodable_bytes_name_what_was_tried() -> None:
    with pytest.raises(NotText) as info:
        decode(bytes(range(0x80, 0x100)) * 3)
    assert str(info.value) == f"no plausible reading as text (tried {TRIED})"
    assert TRIED.startswith("UTF-8, UTF-16, Windows-1252/Latin-1, GB18030/GBK, Big5, Shift-JIS, EUC-JP, EUC-KR, Windows-1251")


@pytest.mark.parametrize(
    "data",
    [b"Taiyuan\x00\x01\x02 news\x00", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"ab\x00cd"],
    ids=["stray-nuls", "png-header", "one-nul"],
)
def test_stray_nul_bytes_are_binary(data: bytes) -> None:
    with pytest.raises(NotText) as info:
        decode(data)
    assert str(info.value) == "binary file (contains NUL bytes)"


@pytest.mark.parametrize(
    ("data", "declared", "text"),
    [
        (b"\x93Taiyuan\x94 \x96 \xa3300", "iso-8859-1", "\u201cTaiyuan\u201d \u2013 \u00a3300"),
        (b"\x93Taiyuan\x94", "latin1", "\u201cTaiyuan\u201d"),
        (b"\x93Taiyuan\x94", "ascii", "\u201cTaiyuan\u201d"),
        (b"\x93Taiyuan\x94", "windows-1252", "\u201cTaiyuan\u201d"),
        (CHINESE_LONG.encode("gb18030"), "GB2312", CHINESE_LONG),
        ("café".encode(), '"UTF-8"', "café"),
    ],
    ids=["iso-8859-1-as-windows-1252", "latin1-alias", "ascii-as-windows-1252", "windows-1252", "gb2312", "quoted-utf8"],
)
def test_decode_as_reads_a_declaration_as_browsers_do(data: bytes, declared: str, text: str) -> None:
    assert decode_as(data, declared) == text


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        ("café \u00a3300".encode("cp1252"), "utf-8"),
        (b"\x81\x20", "shift_jis"),
        (b"Taiyuan", "no-such-charset"),
        (b"Taiyuan", ""),
    ],
    ids=["cp1252-declared-utf8", "invalid-shift-jis", "unknown-name", "empty-name"],
)
def test_decode_as_a_wrong_declaration_is_none(data: bytes, declared: str) -> None:
    assert decode_as(data, declared) is None


def test_big5_bytes_declared_gb2312_are_read_as_big5() -> None:
    data = BIG5_SHORT.encode("big5")
    assert decode_as(data, "gb2312") == BIG5_SHORT


def test_latin1_bbc_text_file_becomes_an_article(tmp_path: Path) -> None:
    """A BBC-style text file saved in Latin-1 with a pound sign (refused as not UTF-8 before)."""
    title = "Shanxi coal sells for \u00a3300 a tonne in Taiyuan"
    body = (
        "Coal from mines near Taiyuan sold for \u00a3300 a tonne on Monday, the highest price this year.\n\n"
        "Traders in Datong said the caf\u00e9 owners and hotels of the city were paying 15% more for heating."
    )
    (tmp_path / "bbc.txt").write_bytes(f"{title}\n\nBy Jane Smith\n\n{body}\n".encode("latin-1"))
    result = ingest(tmp_path)
    assert result.skipped == []
    [article] = result.articles
    assert (article.id, article.title, article.body, article.author, article.cities) == (
        "bbc", title, body, "Jane Smith", ("Datong", "Taiyuan"),
    )


@pytest.mark.parametrize(("text", "binary"), [
    ("Taiyuan\tcoal\r\n\fpage two\n" * 20, False),  # tab, return, newline and form feed are text
    ("x" * 95 + "\x1b[0m\x07", False),  # a few stray controls (an escape sequence, a bell): 3%
    ("x" * 90 + "\x00\x01\x02\x0b\x0e\x1f" * 2, True),  # 12 of 102 characters
    ("\x00" * 50, True),
])
def test_text_mostly_of_control_characters_is_binary(text: str, binary: bool) -> None:
    data = text.encode("utf-8")
    if binary:
        with pytest.raises(NotText, match="binary file"):
            decode(data)
    else:
        assert decode(data) == text
