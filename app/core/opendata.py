"""The open-data datasets: what /open-data lists and its DCAT catalogue (JSON-LD) describes.

One list feeds both, so the page and the catalogue cannot drift apart. Modules add their own
datasets through their activity kind's manifest: `ActivityKind.open_data` (further formats of
the kind's own list) and `ActivityKind.datasets`, a callable returning `Dataset`s (called inside
a request, so it may read the database and build URLs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale

LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
LICENCE_NAME = "CC BY 4.0"
# IANA media types of the formats the page names.
MEDIA_TYPES = {
    "HTML": "text/html",
    "JSON": "application/json",
    "CSV": "text/csv",
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "Atom": "application/atom+xml",
    "iCalendar": "text/calendar",
}
LANGUAGES = ("ja", "en")


@dataclass(frozen=True)
class Distribution:
    """One file or feed of a dataset: its format (a key of MEDIA_TYPES) and site path."""

    format: str
    path: str
    # Link text when the format alone does not tell the links apart (a ward's name).
    label: Any = ""


@dataclass(frozen=True)
class Dataset:
    key: str
    title: Any  # a lazy gettext string, rendered in each language for the catalogue
    distributions: list[Distribution]
    modified: datetime | None = None
    description: Any = ""
    conforms_to: str = ""  # the standard a file follows, named in words
    file_name: str = ""  # the name the standard gives the file, shown as code


def absolute(path: str) -> str:
    """Catalogue URLs come from the configured public address, never the request's Host."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def _texts(value: Any) -> list[dict[str, str]]:
    texts = []
    for language in LANGUAGES:
        with force_locale(language):
            text = str(value)
        if text:
            texts.append({"@value": text, "@language": language})
    return texts


def dcat_catalog(datasets: list[Dataset], title: Any, page_path: str, self_path: str) -> dict:
    """The datasets as a DCAT 2 catalogue in JSON-LD (https://www.w3.org/TR/vocab-dcat-2/)."""
    licence = {"@id": LICENCE_URL}
    entries = []
    for dataset in datasets:
        entry: dict[str, Any] = {
            "@id": absolute(f"{page_path}#dataset-{dataset.key}"),
            "@type": "dcat:Dataset",
            "dct:identifier": dataset.key,
            "dct:title": _texts(dataset.title),
            "dct:license": licence,
            "dcat:landingPage": {"@id": absolute(page_path)},
            "dcat:distribution": [
                {
                    "@type": "dcat:Distribution",
                    "dct:format": item.format,
                    "dcat:mediaType": {
                        "@id": "https://www.iana.org/assignments/media-types/"
                        + MEDIA_TYPES[item.format]
                    },
                    "dcat:accessURL": {"@id": absolute(item.path)},
                    "dcat:downloadURL": {"@id": absolute(item.path)},
                    "dct:license": licence,
                    **({"dct:title": _texts(item.label)} if item.label else {}),
                }
                for item in dataset.distributions
            ],
        }
        if dataset.description:
            entry["dct:description"] = _texts(dataset.description)
        if dataset.conforms_to:
            entry["dct:conformsTo"] = {"rdfs:label": dataset.conforms_to}
        if dataset.modified is not None:
            entry["dct:modified"] = {
                "@value": dataset.modified.isoformat(),
                "@type": "xsd:dateTime",
            }
        entries.append(entry)
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@id": absolute(self_path),
        "@type": "dcat:Catalog",
        "dct:title": _texts(title),
        "dct:license": licence,
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": "熊本市"},
        "foaf:homepage": {"@id": absolute(page_path)},
        "dcat:dataset": entries,
    }
