"""One label per news outlet, whatever spelling a page uses."""

from __future__ import annotations

import re

# Folded spelling -> label. Domains and "website" forms name the same outlet.
# Domains match with any subdomain ("en.people.cn", "sx.chinadaily.com.cn"), see outlet_of_domain.
_OUTLETS = {
    "China Daily": ("china daily", "chinadaily", "chinadaily.com.cn", "chinadaily.com", "chinadailyhk.com",
                    "china daily website", "中国日报", "中国日报网"),
    "Shanxi Daily": ("shanxi daily", "shanxidaily", "shanxi ribao", "山西日报", "sxdaily.com.cn"),
    "Xinhua": ("xinhua", "xinhua news agency", "xinhuanet", "xinhuanet.com", "news.cn", "xinhua.org",
               "新华社", "新华网"),
    "eShanxi": ("eshanxi", "eshanxi.com"),
    "Shanxi News Network": ("shanxi news network", "sxgov.cn", "山西新闻网"),
    "Shanxi Provincial Government": ("shanxi provincial government", "shanxi.gov.cn", "山西省人民政府"),
    "Shanxi Radio and Television": ("shanxi radio and television", "sxrtv.com", "山西广播电视台"),
    "People's Daily": ("people's daily", "peoples daily", "people.cn", "people.com.cn", "people's daily online",
                       "人民日报", "人民网"),
    "Global Times": ("global times", "globaltimes.cn", "globaltimes.com.cn", "环球时报"),
    "CGTN": ("cgtn", "cgtn.com", "cctv", "cctv.com", "cntv.cn", "央视网"),
    "China.org.cn": ("china.org.cn",),
    "ECNS": ("ecns", "ecns.cn", "china news service", "chinanews.com", "chinanews.com.cn",
             "中国新闻社", "中新社", "中新网"),
    "Reuters": ("reuters", "reuters.com", "路透社"),
}
# The source facet's value for articles that name no outlet (stored so, read back as None).
UNKNOWN_SOURCE = "Unknown source"
_NO_SOURCE = {"unknown", "unknown source", "n/a", "na", "none", "-"}
_LOOKUP = {spelling: label for label, spellings in _OUTLETS.items() for spelling in spellings}
_NOISE = re.compile(r"^[\s(\[（【]+|^(?:source|来源)\s*[:：]\s*|[\s)\]）】.,;:|]+$", re.I)
_DOMAIN = re.compile(r"^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$", re.I)


def known_outlet(text: str) -> str | None:
    """The label of a known outlet if text is one of its spellings (or domains), else None."""
    cleaned = _clean(text).casefold()
    return _LOOKUP.get(cleaned) or (outlet_of_domain(cleaned) if is_domain(cleaned) else None)


def is_domain(text: str) -> bool:
    """True for a bare domain name ("reuters.com", "www.sxdaily.com.cn")."""
    return bool(_DOMAIN.match(text)) and not text.replace(".", "").isdigit()


def outlet_of_domain(domain: str) -> str | None:
    """The outlet a domain or any of its parent domains belongs to ("en.people.cn" -> People's Daily)."""
    parts = domain.casefold().split(".")
    for start in range(len(parts) - 1):
        label = _LOOKUP.get(".".join(parts[start:]))
        if label:
            return label
    return None


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    previous = None
    while previous != text:
        previous = text
        text = _NOISE.sub("", text).strip()
    return text


def known_source(value: str | None) -> str | None:
    """A stored source value as the article's source: None for UNKNOWN_SOURCE."""
    return None if value == UNKNOWN_SOURCE else value


def normalise_source(text: str | None) -> str | None:
    """A canonical outlet label for a 'Source:' value; None when it is empty."""
    if text is None:
        return None
    cleaned = _clean(text)
    if not cleaned or cleaned.casefold() in _NO_SOURCE:
        return None
    label = _LOOKUP.get(cleaned.casefold())
    if label:
        return label
    if is_domain(cleaned):
        domain = cleaned.lower().removeprefix("www.")
        return outlet_of_domain(domain) or domain
    if cleaned.islower() or cleaned.isupper():
        # "shanxi evening news" -> "Shanxi Evening News": an outlet name is a proper noun.
        return " ".join(w[:1].upper() + w[1:].lower() for w in cleaned.split(" "))
    return cleaned
