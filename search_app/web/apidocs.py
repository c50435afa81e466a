"""The readable page of the JSON API: every endpoint of the OpenAPI document with a live example."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from search_app.web.openapi import openapi_document

# One example request per endpoint; "{id}" is filled with a real article id of this archive.
EXAMPLES = {
    "/api/search": "/api/search?q=coal&city=Taiyuan&per_page=2",
    "/api/export": "/api/export?q=coal&format=jsonl",
    "/api/articles/{id}": "/api/articles/{id}",
    "/api/suggest": "/api/suggest?q=tai",
    "/healthz": "/healthz",
    "/feed.atom": "/feed.atom?q=coal",
}
MAX_LINES = 30  # of an example answer shown; the rest is cut (the link gives it whole)
CUT = "… (more lines: the link gives the whole answer)"


def build_docs(fetch: Callable[[str], tuple[int, str, str]], article_id: str | None) -> dict[str, Any]:
    """The page's data: per endpoint its summary, parameters, answers and an example request with its answer.

    fetch(path) -> (status, content type, body) runs a request against this same app.
    """
    doc = openapi_document()
    endpoints = []
    for path, item in doc["paths"].items():
        op = item["get"]
        example = EXAMPLES.get(path, path)
        if "{id}" in example:
            example = example.replace("{id}", article_id) if article_id else ""
        status, kind, body = fetch(example) if example else (0, "", "")
        endpoints.append({
            "path": path,
            "summary": op.get("summary", ""),
            "parameters": [{
                "name": p["name"],
                "where": p["in"],
                "required": bool(p.get("required")),
                "type": _type(p.get("schema", {})),
                "description": p.get("description", ""),
            } for p in op.get("parameters", [])],
            "responses": [{"status": code, "description": r.get("description", "")} for code, r in op["responses"].items()],
            "example": {"url": example, "status": status, "type": kind, "body": _shown(kind, body)} if example else None,
        })
    return {"title": doc["info"]["title"], "description": doc["info"].get("description", ""), "endpoints": endpoints,
            "openapi_url": "/api/openapi.json"}


def head(chunks: Iterable[bytes] | Iterable[str]) -> str:
    """An answer's text as far as an example shows it: a streamed one is read only until MAX_LINES lines, then CUT."""
    read = b""
    for chunk in chunks:
        read += chunk.encode() if isinstance(chunk, str) else chunk
        if read.count(b"\n") > MAX_LINES:
            lines = read.decode("utf-8", errors="replace").splitlines()
            return "\n".join([*lines[:MAX_LINES], CUT])
    return read.decode("utf-8", errors="replace")


def _type(schema: dict[str, Any]) -> str:
    if schema.get("items"):
        return _type(schema["items"]) + " (repeatable)"
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if schema.get("enum"):
        kind += ": " + ", ".join(map(str, schema["enum"]))
    return str(kind)


def _shown(kind: str, body: str) -> str:
    """An answer as shown: JSON indented, cut to MAX_LINES lines."""
    if kind.startswith("application/json"):
        try:
            body = json.dumps(json.loads(body), ensure_ascii=False, indent=2)
        except ValueError:
            pass
    lines = body.splitlines()
    if len(lines) > MAX_LINES and lines[MAX_LINES:] != [CUT]:  # not already cut as it was read (head)
        lines = lines[:MAX_LINES] + [f"… ({len(lines) - MAX_LINES} more lines)"]
    return "\n".join(lines)
