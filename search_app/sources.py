"""One label per news outlet, whatever spelling a page uses."""

from __future__ import annotations

import re

# Folded spelling -> label. Domains and "website" forms name the same outlet.
_OUTLETS = {
    "China Daily": ("china daily", "chinadaily", "chinadaily.com.cn", "www.chinadaily.com.cn",
                    "china daily website", "chinadaily.com", "中国日报", "中国日报网"),
    "Shanxi Daily": ("shanxi daily", "shanxidaily", "shanxi ribao", "山西日报"),
    "Xinhua": ("xinhua", "xinhua news agency", "xinhuanet", "xinhuanet.com", "news.cn", "新华社", "新华网"),
    "eShanxi": ("eshanxi", "eshanxi.com", "www.eshanxi.com"),
    "Shanxi News Network": ("shanxi news network", "sxgov.cn", "www.sxgov.cn"),
    "People's Daily": ("people's daily", "peoples daily", "people.cn", "people's daily online", "人民日报", "人民网"),
    "Global Times": ("global times", "globaltimes.cn", "环球时报"),
    "CGTN": ("cgtn", "cgtn.com"),
    "China.org.cn": ("china.org.cn",),
    "ECNS": ("ecns", "ecns.cn", "china news service", "中国新闻社", "中新社", "中新网"),
    "Reuters": ("reuters", "路透社"),
}
_LOOKUP = {spelling: label for label, spellings in _OUTLETS.items() for spelling in spellings}
_NOISE = re.compile(r"^[\s(\[（【]+|^(?:source|来源)\s*[:：]\s*|[\s)\]）】.,;:|]+$", re.I)
_DOMAIN = re.compile(r"^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)+$", re.I)


def known_outlet(text: str) -> str | None:
    """The label of a known outlet if text is one of its spellings, else None."""
    return _LOOKUP.get(_clean(text).casefold())


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    previous = None
    while previous != text:
        previous = text
        text = _NOISE.sub("", text).strip()
    return text


def normalise_source(text: str | None) -> str | None:
    """A canonical outlet label for a 'Source:' value; None when it is empty."""
    if text is None:
        return None
    cleaned = _clean(text)
    if not cleaned:
        return None
    label = _LOOKUP.get(cleaned.casefold())
    if label:
        return label
    if _DOMAIN.match(cleaned):
        return cleaned.lower()
    if cleaned.islower() or cleaned.isupper():
        # "shanxi evening news" -> "Shanxi Evening News": an outlet name is a proper noun.
        return " ".join(w[:1].upper() + w[1:].lower() for w in cleaned.split(" "))
    return cleaned
