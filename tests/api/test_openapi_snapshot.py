"""The API stays the same for existing clients (issue 20): the OpenAPI document may grow, but
nothing in the committed snapshot (tests/api/openapi_v1.json, the document before the API read
its paths from the activity registry) may be removed or changed. New paths, fields and schemas
are additions; a removed path, a removed property, a field no longer required or a changed type
is a break.

To refresh the snapshot after an intended addition:
`SANKAKU_WRITE_OPENAPI_SNAPSHOT=1 pytest tests/api/test_openapi_snapshot.py`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).with_name("openapi_v1.json")


def breaks(before: Any, after: Any, where: str = "$") -> list[str]:
    """Where `after` does not keep everything `before` says: dictionaries keep every key
    (recursively), lists of values keep every value (a `required` list may grow, an `enum` may
    not shrink), lists of objects keep every item in its place (parameters, allOf)."""
    if isinstance(before, dict):
        if not isinstance(after, dict):
            return [f"{where}: was an object"]
        found = []
        for key, value in before.items():
            if key not in after:
                found.append(f"{where}.{key}: removed")
            else:
                found += breaks(value, after[key], f"{where}.{key}")
        return found
    if isinstance(before, list):
        if not isinstance(after, list):
            return [f"{where}: was a list"]
        if all(not isinstance(item, dict | list) for item in before):
            missing = [item for item in before if item not in after]
            return [f"{where}: lost {missing}"] if missing else []
        if len(after) < len(before):
            return [f"{where}: lost items"]
        found = []
        for index, item in enumerate(before):
            found += breaks(item, after[index], f"{where}[{index}]")
        return found
    return [] if before == after else [f"{where}: {before!r} became {after!r}"]


def test_the_document_only_grows(client, plan):
    document = client.get("/api/v1/openapi.json").json
    if os.environ.get("SANKAKU_WRITE_OPENAPI_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True))
    assert breaks(json.loads(SNAPSHOT.read_text()), document) == []


def test_the_comparison_sees_a_break():
    """The check itself: removals and changes are found, additions are not."""
    before = {
        "paths": {"/a": {"get": {"parameters": [{"name": "page"}]}}},
        "components": {"schemas": {"X": {"required": ["id"], "properties": {"id": 1}}}},
    }
    grown = json.loads(json.dumps(before))
    grown["paths"]["/b"] = {}
    grown["components"]["schemas"]["X"]["required"].append("url")
    grown["components"]["schemas"]["X"]["properties"]["url"] = 2
    assert breaks(before, grown) == []
    assert breaks(before, {"paths": {}, "components": before["components"]}) == [
        "$.paths./a: removed"
    ]
    changed = json.loads(json.dumps(before))
    changed["components"]["schemas"]["X"]["required"] = []
    changed["components"]["schemas"]["X"]["properties"]["id"] = "1"
    assert len(breaks(before, changed)) == 2
