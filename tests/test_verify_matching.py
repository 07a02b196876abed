"""/verify recognises forwarded copies of our statements and of the notices sent in error,
in every page language, and finds nothing for the fakes made in the service's name."""

import pytest

from statuspage.services.incidents import do_post_update
from statuspage.verification import register
from statuspage.verification.matching import normalize
from tests.verify_texts import (
    FAKES,
    LANGS,
    UPDATE,
    WORDING,
    forwarded_variants,
    incident_with_notice,
)

pytestmark = pytest.mark.django_db

CASES = [(lang, name) for lang in LANGS for name in forwarded_variants("x", lang)]


@pytest.fixture
def published(page):
    return incident_with_notice()


@pytest.mark.parametrize(("lang", "variant"), CASES)
def test_a_forwarded_notice_sent_in_error_is_recognised(published, lang, variant):
    _incident, notice = published
    pasted = forwarded_variants(WORDING[lang], lang)[variant]

    found = register.by_text(pasted)

    assert found is not None and found.kind == "notice" and found.id == str(notice.id), pasted


@pytest.mark.parametrize(("lang", "variant"), CASES)
def test_a_forwarded_update_is_recognised_as_our_statement(published, lang, variant):
    incident, _notice = published
    pasted = forwarded_variants(UPDATE[lang], lang)[variant]

    found = register.by_text(pasted)

    assert found is not None and found.kind == "update" and found.incident_id == incident.id, pasted


@pytest.mark.parametrize(("lang", "fake"), [(lang, i) for lang in LANGS for i in range(2)])
def test_a_fake_in_the_services_name_matches_nothing(published, lang, fake):
    assert register.by_text(FAKES[lang][fake]) is None


def test_a_short_generic_text_matches_nothing_even_if_a_statement_says_it(published):
    incident, _notice = published
    do_post_update(incident, status="resolved", body="Resolved.")

    assert register.by_text("Resolved.") is None


def test_a_draft_is_never_recognised(page):
    incident, _notice = incident_with_notice()
    type(incident).objects.filter(pk=incident.pk).update(published=False)
    from statuspage.services import changes as publish

    publish.public_changed()

    assert register.by_text(WORDING["uk"]) is None
    assert register.by_text(UPDATE["uk"]) is None


@pytest.mark.pure
def test_normalising_drops_what_forwarding_changes():
    assert normalize("«Oʻzbekiston»  😱\n**14:05**") == normalize('"O\'zbekiston" 13:50')
