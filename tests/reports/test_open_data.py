"""/open-data lists every dataset, and its DCAT catalogue (JSON-LD) lists exactly those."""

import json
from html.parser import HTMLParser

import pytest
import rdflib
from rdflib.namespace import DCAT, DCTERMS, RDF

BASE = "https://sankaku.example.jp"


class DatasetLinks(HTMLParser):
    """The links of the page's datasets table (the licence links aside)."""

    def __init__(self) -> None:
        super().__init__()
        self.in_table = False
        self.links: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = dict(attrs)
        if tag == "table" and "datasets" in (values.get("class") or ""):
            self.in_table = True
        elif tag == "a" and self.in_table and values.get("rel") != "license":
            self.links.add(values["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.in_table = False


def _page_links(client) -> set[str]:
    parser = DatasetLinks()
    parser.feed(client.get("/open-data").text)
    return parser.links


def test_open_data_lists_the_events_csv_and_calendar_feeds(client, plan):
    links = _page_links(client)
    assert "/consultations/events.csv" in links
    assert "/consultations/feed.ics" in links
    assert "/consultations/wards/chuo/feed.ics" in links
    page = client.get("/open-data").text
    assert "431001_event.csv" in page and "CC BY 4.0" in page
    assert 'href="/open-data/catalog.jsonld"' in page


# rdflib's JSON-LD parser uses its own deprecated ConjunctiveGraph internally (rdflib 7.6).
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_catalogue_lists_every_dataset_the_page_links(app, client, plan):
    app.config["PUBLIC_BASE_URL"] = BASE + "/"
    links = _page_links(client)
    # Another Host must not leak into the catalogue's absolute URLs.
    response = client.get("/open-data/catalog.jsonld", headers={"Host": "evil.example"})
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    assert "evil.example" not in response.text
    catalogue = json.loads(response.text)
    assert "@context" in catalogue and catalogue["@type"] == "dcat:Catalog"
    datasets = catalogue["dcat:dataset"]
    assert datasets and all(entry["@type"] == "dcat:Dataset" for entry in datasets)
    downloads = {
        item["dcat:downloadURL"]["@id"] for entry in datasets for item in entry["dcat:distribution"]
    }
    assert downloads == {BASE + link for link in links}

    # The same, read as RDF by an independent JSON-LD parser.
    graph = rdflib.Graph().parse(data=response.text, format="json-ld")
    assert len(set(graph.subjects(RDF.type, DCAT.Dataset))) == len(datasets)
    assert {str(url) for url in graph.objects(None, DCAT.downloadURL)} == {
        BASE + link for link in links
    }
    licences = set(graph.objects(None, DCTERMS.license))
    assert licences == {rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")}
    titles = {(str(t), t.language) for t in graph.objects(None, DCTERMS.title)}
    assert ("Calendar of sessions", "en") in titles
