"""The app starts on the migrated database and serves its core pages."""


def test_core_pages(published, client):
    for url in ("/", "/courses", "/courses/nhan-dien-lua-dao/", "/search?q=mat+khau", "/register", "/login"):
        assert client.get(url).status_code == 200, url
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_register_login_and_mark_done(published, client, auth, post_form):
    response = auth.register()
    assert response.status_code == 302
    page = client.get("/courses/nhan-dien-lua-dao/").get_data(as_text=True)
    assert "Nguyễn Văn An" in client.get("/me").get_data(as_text=True)
    assert 'action="/courses/nhan-dien-lua-dao/enrol"' in page
