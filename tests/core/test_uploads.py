import io

import pytest
from werkzeug.datastructures import FileStorage

from app.core.uploads import StoredFile, UploadError, save_upload, serve_upload
from app.extensions import db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")


def _file(data, name):
    return FileStorage(stream=io.BytesIO(data), filename=name)


def test_type_is_checked_from_the_content_not_the_name(app):
    with app.test_request_context("/?lang=en"):
        stored = save_upload(_file(PDF, "draft.png"))
        assert stored.content_type == "application/pdf"
        with pytest.raises(UploadError, match="not accepted"):
            save_upload(_file(b"<html><script>alert(1)</script>", "evil.pdf"))


def test_size_is_capped(app):
    with app.test_request_context("/?lang=en"), pytest.raises(UploadError, match="larger than"):
        save_upload(_file(PDF + b"0" * 2_000_000, "big.pdf"), max_bytes=1024 * 1024)


def test_stored_under_a_random_name_outside_static_and_served_as_attachment(app):
    with app.test_request_context("/"):
        stored = save_upload(_file(PNG, "../../etc/passwd.png"))
        db.session.commit()
        assert stored.original_name == "passwd.png"
        assert "static" not in str(stored.path)
        assert stored.path.read_bytes() == PNG
        assert stored.token not in ("passwd.png",) and len(stored.token) == 48
        response = serve_upload(db.session.get(StoredFile, stored.id))
        response.close()
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert "sandbox" in response.headers["Content-Security-Policy"]
