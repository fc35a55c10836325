"""Materials of a draft (issue 17): uploaded files and links, listed as links; a failing upload
leaves no file on disk and no half row."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.core.uploads import StoredFile
from app.extensions import db
from app.public_comment import services
from app.public_comment.models import CaseMaterial
from tests.conftest import csrf_from, submit

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _upload(
    client, case_id, data: bytes, name: str = "資料1.pdf", title: str = "計画案の概要版", query=""
):
    """Post the material form with a file, as the staff page does. The body is encoded here in
    memory: the test client would spool a large one to a temporary file it never closes."""
    page = f"/staff/public-comments/{case_id}"
    fields = {
        "csrf_token": csrf_from(client.get(page).text),
        "material-title": title,
        "material-file": FileStorage(io.BytesIO(data), name),
    }
    boundary, body = encode_multipart(fields)
    return client.post(
        f"{page}/materials{query}",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _files_on_disk(app) -> list[Path]:
    folder = Path(app.config["UPLOAD_FOLDER"])
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def _rows(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(sa.select(sa.func.count(StoredFile.id))),
            db.session.scalar(sa.select(sa.func.count(CaseMaterial.id))),
        )


def test_a_pdf_uploaded_to_a_draft_is_stored_and_listed(app, client, login_as, make_case):
    case_id = make_case("draft", department="kikaku")
    login_as("staff", "kikaku")
    response = _upload(client, case_id, PDF)
    assert response.status_code == 302, response.text[:2000]
    staff_page = client.get(f"/staff/public-comments/{case_id}").text
    with app.app_context():
        material = db.session.scalar(sa.select(CaseMaterial))
        assert material.stored_file_id is not None
        assert material.file.content_type == "application/pdf"
        link = f"/public-comments/{case_id}/materials/{material.id}"
    assert f'href="{link}"' in staff_page and "計画案の概要版" in staff_page
    download = client.get(link)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    download.close()
    assert len(_files_on_disk(app)) == 1


def test_a_link_is_a_material_too(app, client, login_as, make_case):
    case_id = make_case("draft", department="kikaku")
    login_as("staff", "kikaku")
    page = f"/staff/public-comments/{case_id}"
    response = submit(
        client,
        f"{page}/materials",
        {"material-title": "国の指針", "material-url": "https://www.example.go.jp/shishin.html"},
        page=page,
    )
    assert response.status_code == 302, response.text[:2000]
    assert 'href="https://www.example.go.jp/shishin.html"' in client.get(page).text
    with app.app_context():
        db.session.get(CaseMaterial, 1)
        assert db.session.scalar(sa.select(CaseMaterial.url)) == (
            "https://www.example.go.jp/shishin.html"
        )
    # Neither both nor none; only web addresses.
    for data, message in (
        ({"material-url": "javascript:alert(1)"}, "http"),
        ({}, "Choose a file or give a web address"),
    ):
        response = submit(
            client,
            f"{page}/materials?lang=en",
            {"material-title": "x", **data},
            page=page,
            content_type="multipart/form-data",
        )
        assert response.status_code == 400 and message in response.text
        assert 'value="x"' in response.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "This type of file is not accepted"),
        (PDF + b"0" * (10 * 1024 * 1024), "larger than 10 MB"),
        (b"", None),
    ],
)
def test_a_refused_upload_leaves_no_file_and_no_row(
    app, client, login_as, make_case, data, message
):
    case_id = make_case("draft", department="kikaku")
    login_as("staff", "kikaku")
    response = _upload(client, case_id, data, "a.pdf", "資料", query="?lang=en")
    assert response.status_code == 400
    if message:
        assert message in response.text
    assert 'value="資料"' in response.text
    assert _files_on_disk(app) == []
    assert _rows(app) == (0, 0)


def test_a_database_error_after_the_file_was_written_leaves_no_file_and_no_row(
    app, client, login_as, make_case, monkeypatch
):
    case_id = make_case("draft", department="kikaku")
    login_as("staff", "kikaku")
    written: list[Path] = []
    real_record = services.audit.record

    def failing_record(*args, **kwargs):
        # The file is on disk by now: the failure must take it away with the rows.
        written.extend(_files_on_disk(app))
        real_record(*args, **kwargs)
        raise sa.exc.OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(services.audit, "record", failing_record)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = _upload(client, case_id, PDF)
    assert response.status_code == 500
    assert len(written) == 1
    assert _files_on_disk(app) == []
    assert _rows(app) == (0, 0)
    # The error page itself was served, not the fallback of a failed one.
    assert "<html" in response.text.lower()
