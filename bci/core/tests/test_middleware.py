def test_api_answers_in_the_language_the_client_asks(db, client):
    english = client.get("/api/v1/catalogue/records/987654", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["message"] == "No record with id 987654."
    assert english["Content-Language"] == "en"
    dutch = client.get("/api/v1/catalogue/records/987654")
    assert dutch["Content-Language"] == "nl"
    assert dutch.json()["message"] != english.json()["message"]


def test_pages_keep_their_language_in_the_url(db, client):
    assert client.get("/network/", HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "nl"
    assert client.get("/en/network/")["Content-Language"] == "en"


def test_a_chosen_language_sticks_on_unprefixed_addresses(db, client):
    client.cookies["django_language"] = "en"
    response = client.get("/network/?poi=X")
    assert response.status_code == 302
    assert response["Location"] == "/en/network/?poi=X"
    assert client.get("/api/v1/catalogue/records/1").status_code == 404  # machines: no redirect
    client.cookies["django_language"] = "nl"
    assert client.get("/network/").status_code == 200


def test_no_cookie_means_dutch_without_redirect(db, client):
    response = client.get("/network/")
    assert response.status_code == 200
    assert response["Content-Language"] == "nl"
