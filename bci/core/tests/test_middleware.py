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
