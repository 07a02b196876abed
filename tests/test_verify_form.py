"""/verify, the public "is this message real?" form: answers in the reader's language,
needs no JavaScript, is rate-limited and never logs or caches what people paste."""

import logging
import re

import pytest
from django.test import Client

from statuspage.verification.codes import code_for
from tests.verify_texts import FAKES, UPDATE, WHAT_TO_DO, WORDING, incident_with_notice

pytestmark = pytest.mark.django_db


def answer(response) -> str:
    found = re.search(r'<section class="verify-answer[^"]*".*?</section>', response.content.decode(), re.DOTALL)
    assert found, response.content.decode()[:2000]
    return found.group(0)


@pytest.fixture
def published(page):
    return incident_with_notice()


def test_the_empty_form_needs_no_javascript_and_is_cached_publicly(page):
    response = Client().get("/verify?lang=uk")

    html = response.content.decode()
    assert response.status_code == 200 and '<form class="verify-form" method="post" action="/verify">' in html
    assert "<script" not in html and 'name="csrfmiddlewaretoken"' not in html
    assert "public" in response["Cache-Control"]


def test_a_code_from_a_statement_links_to_it_and_shows_it_in_the_readers_language(published):
    incident, _ = published
    update = incident.updates.get()

    response = Client().get(f"/verify?code={code_for('update', update.id).lower()}&lang=uk")

    shown = answer(response)
    assert 'class="verify-answer official"' in shown and UPDATE["uk"].split(" з ")[0] in shown
    assert f'href="/incidents/{incident.id}#update-{update.id}"' in shown
    assert "<time datetime=" in shown and "(Київ)" in shown


def test_a_pasted_notice_sent_in_error_says_so_and_what_to_do(published):
    response = Client().post("/verify?lang=uz-latn", {"q": f"Yuborildi:\n«{WORDING['uz-latn']}» 🎉"},
                             HTTP_ACCEPT_LANGUAGE="uz-latn")

    shown = answer(response)
    assert 'class="verify-answer in-error"' in shown
    assert WHAT_TO_DO["uz-latn"].split(".")[0] in shown.replace("&#x27;", "'")


def test_an_unknown_text_is_unverified_never_called_fake_and_lists_the_official_channels(published):
    response = Client().post("/verify", {"q": FAKES["en"][0]})

    shown = answer(response)
    assert "We found no official statement like this" in shown and "1545" in shown
    assert "fake" not in shown.lower()


def test_an_unknown_code_is_unverified(published):
    shown = answer(Client().get("/verify?code=ZZ-ZZZZ-ZZ"))

    assert "We found no official statement like this" in shown


def test_the_code_of_the_channel_list_is_recognised(published):
    code = Client().get("/.well-known/statuspage.json").json()["verification_code"]

    assert "This is our official list of channels" in answer(Client().get(f"/verify?code={code}"))


def test_what_is_pasted_is_neither_logged_nor_kept_by_a_shared_cache(published, caplog):
    secret = "Ivan Petrenko, ID 4412, phone +380 67 123 45 67, your deferment is cancelled"
    caplog.set_level(logging.DEBUG)

    response = Client().post("/verify", {"q": secret})

    assert secret not in caplog.text and "Petrenko" not in caplog.text
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_too_many_lookups_from_one_address_are_refused_for_a_while(published, settings):
    settings.VERIFY_LIMIT = 3
    client = Client()
    for _ in range(3):
        assert client.post("/verify", {"q": FAKES["uk"][0]}).status_code == 200

    refused = client.post("/verify", {"q": FAKES["uk"][0]}, HTTP_ACCEPT_LANGUAGE="en")

    assert refused.status_code == 429 and "Too many checks" in refused.content.decode()
    assert Client(REMOTE_ADDR="192.0.2.7").post("/verify", {"q": FAKES["uk"][0]}).status_code == 200


def test_a_text_longer_than_the_form_takes_is_refused_with_the_field_named(published, settings):
    response = Client().post("/verify", {"q": "a" * (settings.VERIFY_MAX_TEXT + 1)})

    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    assert "at most" in response.content.decode()


def test_a_codes_answer_is_kept_until_the_next_public_change(published, django_assert_num_queries):
    incident, _ = published
    code = code_for("update", incident.updates.get().id)
    client = Client()
    first = client.get(f"/verify?code={code}&lang=uk").content

    with django_assert_num_queries(0):
        again = client.get(f"/verify?code={code}&lang=uk").content
    incident.published = False
    incident.save()  # taken back to a draft: a public change
    after = client.get(f"/verify?code={code}&lang=uk")

    assert again == first and 'class="verify-answer official"' in first.decode()
    assert 'class="verify-answer official"' not in after.content.decode()
