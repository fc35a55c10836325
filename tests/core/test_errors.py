def test_not_found_in_both_languages_with_a_way_back(client, plan):
    response = client.get("/no-such-page?lang=ja")
    assert response.status_code == 404
    assert "ページが見つかりません" in response.text
    assert 'href="/"' in response.text
    response = client.get("/no-such-page?lang=en")
    assert "Page not found" in response.text


def test_api_errors_are_json(client):
    response = client.get("/api/v1/no-such")
    assert response.status_code == 404
    assert response.json["status"] == 404


def test_too_large_request_is_explained(app, client, plan):
    app.config["MAX_CONTENT_LENGTH"] = 10
    response = client.post("/login?lang=en", data={"email": "x" * 100})
    assert response.status_code == 413
    assert "The file is too large" in response.text


def test_server_error_page(app, client, plan):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret-internal-detail")

    response = client.get("/boom?lang=en")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "secret-internal-detail" not in response.text
