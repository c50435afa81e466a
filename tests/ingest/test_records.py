"""Broken and unusual input files: each becomes a record or a skip with its reason."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from helpers import unreadable

from search_app.errors import SeedsMissing
from search_app.ingest.decoding import TRIED
from search_app.ingest.records import IdReplaced, IngestResult, ingest
from search_app.models import Skipped

ARTICLE = (
    "Taiyuan opens a new library\n\n"
    "Updated: 2023-04-02\n\n"
    "The city of Taiyuan opened a new public library on Saturday.\n\n"
    "Readers from Jinzhong also came to see it.\n"
)


@pytest.fixture()
def seeds(tmp_path: Path) -> Path:
    """An empty, writable seeds folder."""
    folder = tmp_path / "seeds"
    folder.mkdir()
    return folder


def write(folder: Path, rel: str, content: str | bytes) -> Path:
    """Write text (UTF-8) or bytes at a path inside the folder, creating parents."""
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def skips(result: IngestResult) -> list[tuple[str, str]]:
    """(path, reason) of every skip."""
    return [(s.path, s.reason) for s in result.skipped]


def only_skip(folder: Path, rel: str, content: str | bytes, **kwargs: int) -> str:
    """Ingest a folder holding one file that must be skipped; return the reason."""
    write(folder, rel, content)
    result = ingest(folder, **kwargs)
    assert result.articles == []
    assert [s.path for s in result.skipped] == [rel]
    return result.skipped[0].reason


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"   \n\n\t  \r\n ", "empty file"),
        (b"Taiyuan\x00\x01\x02 news\x00", "binary file (contains NUL bytes)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "binary file (contains NUL bytes)"),
        (b"\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0e\x0f\x10 Taiyuan", "binary file (mostly control characters)"),
        (bytes(range(0x80, 0x100)) * 3, "no plausible reading as text (tried " + TRIED + ")"),
        ("Contact us\nEmail us\nHome | News | About Us\nAll rights reserved\n", "no article text"),
    ],
    ids=["empty", "whitespace", "nul-bytes", "png-header", "control-chars", "no-encoding", "only-chrome"],
)
def test_bad_text_files_are_skipped_with_a_reason(seeds: Path, content: str | bytes, reason: str) -> None:
    assert only_skip(seeds, "bad.txt", content) == reason


@pytest.mark.parametrize(
    ("rel", "content"),
    [("brief.txt", "Taiyuan Coal Co 4th Qtr Net\n"), ("brief.json", '{"title": "Taiyuan Coal Co 4th Qtr Net", "body": ""}')],
    ids=["text", "json"],
)
def test_a_headline_alone_is_an_article(seeds: Path, rel: str, content: str) -> None:
    write(seeds, rel, content)
    result = ingest(seeds)
    assert [(a.id, a.title, a.body, a.cities) for a in result.articles] == [("brief", "Taiyuan Coal Co 4th Qtr Net", "", ("Taiyuan",))]
    assert result.skipped == []


def test_gb18030_file_is_read(seeds: Path) -> None:
    text = "太原新闻 Taiyuan hosts coal expo\n\n山西省太原市举办煤炭博览会。Visitors came from Datong and 晋城.\n"
    data = text.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    write(seeds, "gbk.txt", data)
    result = ingest(seeds)
    assert result.skipped == []
    [article] = result.articles
    assert (article.id, article.title) == ("gbk", "太原新闻 Taiyuan hosts coal expo")
    assert article.body == "山西省太原市举办煤炭博览会。Visitors came from Datong and 晋城."
    assert article.cities == ("Datong", "Jincheng", "Taiyuan")


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("臺灣報導 Taiwan report on Taiyuan", "山西省太原市舉辦煤炭博覽會，來自大同和晉城的訪客參觀。Visitors came from Datong."),
        ("傳統 繁體 報導 Datong", "大同市的新聞。"),
        ("臺北 news on Datong", "Datong traders met buyers from Taipei."),
    ],
    ids=["long", "short", "two-characters"],
)
def test_big5_file_is_read_as_big5(seeds: Path, title: str, body: str) -> None:
    data = f"{title}\n\n{body}\n".encode("big5")
    data.decode("gb18030")  # Big5 bytes are valid GB18030 too: the ingester must weigh both readings
    write(seeds, "tw.txt", data)
    [article] = ingest(seeds).articles
    assert (article.title, article.body) == (title, body)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_with_byte_order_mark_is_read(seeds: Path, encoding: str) -> None:
    bom = b"\xff\xfe" if encoding.endswith("le") else b"\xfe\xff"
    write(seeds, "notepad.txt", bom + ARTICLE.encode(encoding))
    [article] = ingest(seeds).articles
    assert article.title == "Taiyuan opens a new library"


def test_broken_utf16_is_skipped_with_a_reason(seeds: Path) -> None:
    assert only_skip(seeds, "bad16.txt", b"\xff\xfeT\x00a\x00\x00\xd8") == \
        "not valid UTF-16-LE although it starts with that byte-order mark"


def test_utf8_bom_is_dropped(seeds: Path) -> None:
    write(seeds, "bom.txt", b"\xef\xbb\xbf" + ARTICLE.encode("utf-8"))
    [article] = ingest(seeds).articles
    assert article.title == "Taiyuan opens a new library"


def test_too_large_file(seeds: Path) -> None:
    reason = only_skip(seeds, "big.txt", ARTICLE + "x" * 200, max_bytes=100)
    assert reason == f"file too large ({len(ARTICLE) + 200} bytes; the limit is 100)"


def test_file_at_the_limit_is_read(seeds: Path) -> None:
    size = len(ARTICLE.encode("utf-8"))
    write(seeds, "ok.txt", ARTICLE)
    assert [a.id for a in ingest(seeds, max_bytes=size).articles] == ["ok"]


@pytest.mark.parametrize(
    ("rel", "reason"),
    [
        ("page.pdf", "unsupported file type '.pdf'; use .txt, .json, .jsonl, .html or .htm"),
        ("photo.png", "unsupported file type '.png'; use .txt, .json, .jsonl, .html or .htm"),
        ("README", "unsupported file type (no extension); use .txt, .json, .jsonl, .html or .htm"),
        (".draft.txt", "hidden file"),
        ("2023/.notes.txt", "hidden file"),
    ],
)
def test_files_not_read(seeds: Path, rel: str, reason: str) -> None:
    assert only_skip(seeds, rel, ARTICLE) == reason


def test_hidden_folder_is_reported_not_silently_dropped(seeds: Path) -> None:
    write(seeds, ".cache/a.txt", ARTICLE)
    write(seeds, "b.txt", ARTICLE)
    result = ingest(seeds)
    assert [a.id for a in result.articles] == ["b"]
    assert skips(result) == [(".cache", "hidden folder not read")]


def test_json_object(seeds: Path) -> None:
    obj = {
        "title": "Datong  builds a\u00a0museum",
        "body": "Datong opened a coal museum.\n\nVisitors came from Shuozhou.",
        "date": "2023-05-06",
        "source": "xinhua news agency",
        "author": "Zhang San",
    }
    write(seeds, "news/museum.json", json.dumps(obj))
    result = ingest(seeds)
    assert result.skipped == []
    [article] = result.articles
    assert article.to_json() | {"content_hash": ""} == {
        "id": "news/museum",
        "path": "news/museum.json",
        "title": "Datong builds a museum",
        "body": "Datong opened a coal museum.\n\nVisitors came from Shuozhou.",
        "date": "2023-05-06",
        "source": "Xinhua",
        "author": "Zhang San",
        "cities": ["Datong", "Shuozhou"],
        "content_hash": "",
        "dated_by": "as written",
    }


def test_json_explicit_fields_win_over_extraction(seeds: Path) -> None:
    text = (
        "Headline in the text\n\nSource: China Daily\n\nUpdated: 2020-01-02\n\n"
        "Jinzhong and Datong sign a deal.\n\nBy ZHANG SAN in Taiyuan"
    )
    obj = {"text": text, "title": "Given headline", "date": "10 March 2022", "source": "Shanxi daily",
           "author": "Li Si", "cities": ["lvliang", "太原", "Quwo", "Atlantis"]}
    write(seeds, "a.json", json.dumps(obj, ensure_ascii=False))
    [article] = ingest(seeds).articles
    assert (article.title, article.date, article.source, article.author, article.cities) == (
        "Given headline", dt.date(2022, 3, 10), "Shanxi Daily", "Li Si", ("Linfen", "Lüliang", "Taiyuan"),
    )
    assert article.body == "Jinzhong and Datong sign a deal."


def test_json_text_only_is_extracted(seeds: Path) -> None:
    text = "Headline in the text\n\nSource: China Daily\n\nUpdated: 2020-01-02\n\nJinzhong and Datong sign a deal."
    write(seeds, "a.json", json.dumps({"text": text}))
    [article] = ingest(seeds).articles
    assert (article.title, article.body, article.date, article.source, article.cities) == (
        "Headline in the text", "Jinzhong and Datong sign a deal.", dt.date(2020, 1, 2), "China Daily",
        ("Datong", "Jinzhong"),
    )


ZH_SENTENCES = [
    "山西省太原市举办煤炭博览会，来自大同和晋城的访客参观了展览。",
    "太原市政府表示，博览会将每年举办一次，吸引更多企业投资，并推动当地经济转型发展。",
    "大同市的代表说，今年的展览比去年规模更大，参展企业超过三百家，许多新技术首次亮相，吸引了大批观众。",
]
ZH_PARAGRAPH = "".join(ZH_SENTENCES * 7)  # one paragraph of 21 sentences, 833 characters, no headline above it
ZH_BODY = ZH_PARAGRAPH + "\n\n晋城市的企业家表示，希望通过博览会找到新的合作伙伴。"


@pytest.mark.parametrize(("rel", "content"), [
    ("zh.txt", ZH_BODY + "\n"),
    ("zh.json", json.dumps({"title": "", "body": ZH_BODY})),
    ("zh.json", json.dumps({"title": "   ", "body": ZH_BODY})),
    ("zh.json", json.dumps({"title": "\u200b\u200b", "body": ZH_BODY})),
    ("zh.json", json.dumps({"title": "\x1b\x07\t\n", "body": ZH_BODY})),
    ("zh.json", json.dumps({"body": ZH_BODY})),
], ids=["txt-without-headline", "json-empty-title", "json-blank-title", "json-zero-width-title", "json-control-title",
        "json-no-title"])
def test_a_missing_title_is_the_first_sentence_not_the_paragraph(seeds: Path, rel: str, content: str) -> None:
    assert len(ZH_PARAGRAPH) > 800
    write(seeds, rel, content)
    [article] = ingest(seeds).articles
    assert (article.title, article.body) == (ZH_SENTENCES[0], ZH_BODY)


LONG_SENTENCE = ("The city of Taiyuan opened a museum of coal mining on Saturday, in a former pithead building beside the Fen "
                 "River that had stood empty for twenty years, and visitors from Datong queued from early morning.")


@pytest.mark.parametrize(("body", "title"), [
    (LONG_SENTENCE, "The city of Taiyuan opened a museum of coal mining on Saturday, in a former pithead building beside "
                    "the Fen River that …"),
    ("Taiyuan opened a new library. " + LONG_SENTENCE, "Taiyuan opened a new library."),
    ("Mr. Li Wei of Taiyuan said: “We came early.” Then he left. " + LONG_SENTENCE,
     "Mr. Li Wei of Taiyuan said: “We came early.”"),
    ("山西" * 100 + "。", "山西" * 30 + "…"),  # no sentence end within a headline's length: cut between characters
    ("太原" + "市" * 70 + "，大同。", "太原" + "市" * 58 + "…"),
    ("2023年太原市GDP增长7.5%，" + "山西" * 60, "2023年太原市GDP增长7.5%，" + "山西" * 23 + "山…"),
], ids=["long-english-sentence", "short-first-sentence", "abbreviation-and-quote", "chinese-without-stop",
        "chinese-long-clause", "mixed-scripts"])
def test_a_title_from_the_body_is_cut_to_a_headline(seeds: Path, body: str, title: str) -> None:
    write(seeds, "news.json", json.dumps({"title": "", "body": body}))
    [article] = ingest(seeds).articles
    assert (article.title, article.body) == (title, body)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"title": "x", "body": ', "invalid JSON: Expecting value at line 1"),
        ("[1, 2, 3]", "JSON value is not an object"),
        ('"just a string"', "JSON value is not an object"),
        ('{"title": "", "body": ""}', "no article text"),
        ('{"title": ["a", "list"], "body": "Taiyuan."}', "JSON field 'title' must be a string"),
        ("", "empty file"),
    ],
    ids=["invalid", "array", "string", "no-body", "bad-field", "empty"],
)
def test_bad_json(seeds: Path, content: str, reason: str) -> None:
    assert only_skip(seeds, "bad.json", content) == reason


def test_jsonl_many_records_and_a_bad_line(seeds: Path) -> None:
    lines = [
        json.dumps({"title": "First", "body": "Taiyuan news."}),
        "{not json",
        "",
        json.dumps({"title": "Third", "body": "Yuncheng news.", "date": "2021-07-01"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "custom-id", "title": "Fifth", "body": "Xinzhou news."}),
    ]
    write(seeds, "feeds/daily.jsonl", "\n".join(lines) + "\n")
    result = ingest(seeds)
    assert [(a.id, a.path, a.title, a.cities) for a in result.articles] == [
        ("feeds/daily/1", "feeds/daily.jsonl", "First", ("Taiyuan",)),
        ("feeds/daily/4", "feeds/daily.jsonl", "Third", ("Yuncheng",)),
        ("custom-id", "feeds/daily.jsonl", "Fifth", ("Xinzhou",)),
    ]
    assert result.articles[1].date == dt.date(2021, 7, 1)
    assert skips(result) == [
        ("feeds/daily.jsonl:2", "invalid JSON: Expecting property name enclosed in double quotes"),
        ("feeds/daily.jsonl:5", "JSON value is not an object"),
    ]
    assert len({a.content_hash for a in result.articles}) == 3


def test_jsonl_bad_encoding_skips_the_file(seeds: Path) -> None:
    data = b'{"body": "' + bytes(range(0x80, 0x100)) * 3 + b'"}\n'
    assert only_skip(seeds, "x.jsonl", data) == "no plausible reading as text (tried " + TRIED + ")"


ID_RULE = "an id is up to 100 letters, digits, '-', '_' or '.', not starting with '.'"


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/x", "'../../etc/x'"),
        (".", "'.'"),
        ("..", "'..'"),
        (".hidden", "'.hidden'"),
        ("a/b", "'a/b'"),
        ("a b", "'a b'"),
        ("tab\there", "'tab\\there'"),
        ("nul\u0000", "'nul\\x00'"),
        ("太原", "'太原'"),
        ("x" * 101, "'" + "x" * 40 + "'... (101 characters)"),
        ("   ", "'   '"),
    ],
    ids=["traversal", "dot", "dotdot", "leading-dot", "slash", "space", "tab", "nul", "non-ascii", "too-long", "blank"],
)
def test_invalid_json_id_falls_back_to_the_file_id(seeds: Path, given: str, shown: str) -> None:
    write(seeds, "feeds/daily.jsonl", json.dumps({"id": given, "title": "First", "body": "Taiyuan news."}) + "\n")
    write(seeds, "one.json", json.dumps({"id": given, "title": "Second", "body": "Datong news."}))
    result = ingest(seeds)
    assert [(a.id, a.path, a.title) for a in result.articles] == [
        ("one", "one.json", "Second"), ("feeds/daily/1", "feeds/daily.jsonl", "First"),
    ]
    assert skips(result) == [
        ("one.json", f"id {shown} is not valid ({ID_RULE}); the article gets the id 'one' instead"),
        ("feeds/daily.jsonl:1", f"id {shown} is not valid ({ID_RULE}); the article gets the id 'feeds/daily/1' instead"),
    ]
    assert all(isinstance(s, IdReplaced) for s in result.skipped)


@pytest.mark.parametrize("given", ["custom-id", "A_1.2", "0", "-x", "x" * 100, 42])
def test_valid_json_id_is_kept(seeds: Path, given: str | int) -> None:
    write(seeds, "one.json", json.dumps({"id": given, "title": "T", "body": "Datong news."}))
    result = ingest(seeds)
    assert ([a.id for a in result.articles], result.skipped) == ([str(given)], [])


def test_invalid_id_falling_back_onto_a_used_id_is_a_duplicate(seeds: Path) -> None:
    write(seeds, "a.json", json.dumps({"id": "b", "title": "Names itself b", "body": "Taiyuan."}))
    write(seeds, "b.json", json.dumps({"id": "no good", "title": "Falls back to b", "body": "Datong."}))
    result = ingest(seeds)
    assert [(a.id, a.title) for a in result.articles] == [("b", "Names itself b")]
    assert skips(result) == [
        ("b.json", f"id 'no good' is not valid ({ID_RULE}); the article gets the id 'b' instead"),
        ("b.json", "duplicate id 'b' (already used by a.json)"),
    ]


@pytest.mark.parametrize(("name", "article_id"), [
    ("Taiyuan\nnews.txt", "Taiyuan_news"),
    ("Datong\tnews.txt", "Datong_news"),
    ("Jincheng\x1b[2Jnews.txt", "Jincheng_[2Jnews"),
    ("Linfen\rnews\x7f\x85.txt", "Linfen_news__"),
], ids=["newline", "tab", "escape", "carriage-return-del-c1"])
def test_control_characters_in_a_file_name_stay_out_of_its_id(tmp_path: Path, seeds: Path, name: str,
                                                              article_id: str) -> None:
    """An id is shown in terminals, CSV and URLs: the file's control characters become "_", and its page is served."""
    from search_app.backends.whoosh.indexer import build
    from search_app.config import Settings
    from search_app.web.app import create_app
    from search_app.web.page import article_url

    write(seeds, name, ARTICLE)
    build(seeds, tmp_path / "ix")
    app = create_app({"SETTINGS": Settings(seeds=seeds, index=tmp_path / "ix"), "TESTING": True})
    try:
        response = app.test_client().get(article_url(article_id))
        assert response.status_code == 200
        assert app.test_client().get("/api/articles/" + article_id).get_json()["path"] == name
    finally:
        app.extensions["search_app"].close()


def test_duplicate_ids(seeds: Path) -> None:
    write(seeds, "same.json", json.dumps({"title": "From JSON", "body": "Taiyuan."}))
    write(seeds, "same.txt", ARTICLE)
    result = ingest(seeds)
    assert [(a.id, a.path) for a in result.articles] == [("same", "same.json")]
    assert skips(result) == [("same.txt", "duplicate id 'same' (already used by same.json)")]


def test_subfolders_give_path_ids(seeds: Path) -> None:
    write(seeds, "2023/xinhua/0142.txt", ARTICLE)
    write(seeds, "2023/chinadaily/0142.txt", ARTICLE.replace("library", "museum"))
    write(seeds, "0142.txt", ARTICLE.replace("library", "park"))
    result = ingest(seeds)
    assert result.skipped == []
    assert [(a.id, a.path, a.title) for a in result.articles] == [
        ("0142", "0142.txt", "Taiyuan opens a new park"),
        ("2023/chinadaily/0142", "2023/chinadaily/0142.txt", "Taiyuan opens a new museum"),
        ("2023/xinhua/0142", "2023/xinhua/0142.txt", "Taiyuan opens a new library"),
    ]


def test_symlink_to_a_file_outside_is_skipped(tmp_path: Path, seeds: Path) -> None:
    outside = write(tmp_path, "elsewhere/secret.txt", ARTICLE)
    (seeds / "link.txt").symlink_to(outside)
    write(seeds, "real.txt", ARTICLE)
    result = ingest(seeds)
    assert [a.id for a in result.articles] == ["real"]
    assert skips(result) == [("link.txt", "symlink to a file outside the seeds folder")]


def test_symlink_to_a_file_inside_is_read(seeds: Path) -> None:
    write(seeds, "real.txt", ARTICLE)
    (seeds / "alias.txt").symlink_to(seeds / "real.txt")
    result = ingest(seeds)
    assert result.skipped == []
    assert [a.id for a in result.articles] == ["alias", "real"]


def test_symlinked_folder_is_not_followed(tmp_path: Path, seeds: Path) -> None:
    write(tmp_path, "other/a.txt", ARTICLE)
    (seeds / "linked").symlink_to(tmp_path / "other", target_is_directory=True)
    result = ingest(seeds)
    assert result.articles == []
    assert skips(result) == [("linked", "symlinked folder not followed")]


def test_dangling_symlink(seeds: Path) -> None:
    (seeds / "gone.txt").symlink_to(seeds / "missing.txt")
    result = ingest(seeds)
    assert result.articles == []
    assert skips(result) == [("gone.txt", "unreadable: No such file or directory")]


def test_fifo_is_not_read(seeds: Path) -> None:
    os.mkfifo(seeds / "pipe.txt")
    result = ingest(seeds)
    assert skips(result) == [("pipe.txt", "not a regular file")]


def test_unreadable_file_by_permission(seeds: Path) -> None:
    path = write(seeds, "locked.txt", ARTICLE)
    write(seeds, "open.txt", ARTICLE)
    with unreadable(path):  # held to its mode even as root
        result = ingest(seeds)
    assert ([a.id for a in result.articles], skips(result)) == (["open"], [("locked.txt", "unreadable: Permission denied")])


def test_missing_seeds_folder(tmp_path: Path) -> None:
    with pytest.raises(SeedsMissing) as info:
        ingest(tmp_path / "nope")
    assert info.value.message == f"Seeds folder {str(tmp_path / 'nope')!r} does not exist: create it or pass --seeds DIR."


def test_seeds_path_that_is_a_file(tmp_path: Path) -> None:
    path = write(tmp_path, "file.txt", ARTICLE)
    with pytest.raises(SeedsMissing) as info:
        ingest(path)
    assert info.value.message == (
        f"Seeds folder {str(path)!r} is not a folder: pass --seeds DIR with the folder of article files.")


def test_empty_seeds_folder(seeds: Path) -> None:
    assert ingest(seeds) == IngestResult()


def test_every_file_is_a_record_or_a_skip(tmp_path: Path, seeds_copy: Path) -> None:
    """A messy folder: every file is accounted for, and the good ones still come through."""
    bad = {
        "empty.txt": b"",
        "blank.txt": b" \n \n",
        "binary.txt": b"\x00\x01\x02",
        "undecodable.txt": bytes(range(0x80, 0x100)) * 3,
        "chrome.txt": b"Contact us\nEmail us\n",
        "page.html": b"<html></html>",
        ".hidden.txt": ARTICLE.encode(),
        "bad.json": b"{",
        "list.json": b"[]",
        "deep/er/bad.jsonl": b"{}\n{oops\n",
    }
    for rel, data in bad.items():
        write(seeds_copy, rel, data)
    good = {
        "2023/xinhua/0142.txt": ARTICLE.encode(),
        "gbk.txt": "晋城 Jincheng news\n\n晋城市 opened a park.".encode("gb18030"),
        "one.json": json.dumps({"title": "T", "body": "Linfen."}).encode(),
    }
    for rel, data in good.items():
        write(seeds_copy, rel, data)
    (seeds_copy / "outside.txt").symlink_to(write(tmp_path, "outside/x.txt", ARTICLE))
    result = ingest(seeds_copy)
    on_disk = {p.relative_to(seeds_copy).as_posix() for p in seeds_copy.rglob("*") if p.is_file() or p.is_symlink()}
    recorded = {a.path for a in result.articles}
    skipped = {s.path.split(":")[0] for s in result.skipped}
    assert recorded | skipped == on_disk
    assert recorded == {p.name for p in Path(seeds_copy).glob("0*.txt")} | set(good)
    assert len(result.articles) == 5 + len(good)
    # "{}" on line 1 of the JSONL file is a record without text, "{oops" on line 2 is invalid
    assert {s.path for s in result.skipped if s.path.startswith("deep/")} == {
        "deep/er/bad.jsonl:1", "deep/er/bad.jsonl:2",
    }
    assert all(isinstance(s, Skipped) and s.reason for s in result.skipped)
