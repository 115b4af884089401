"""Identities: a signed token names one person, and nothing else passes as one."""

import pytest

from mirror.services.people import new_person_id, sign, signing_key, verify

KEY = "k" * 43


def test_a_signed_token_names_its_person_and_only_with_the_right_key():
    person = new_person_id()
    token = sign(person, KEY)
    assert verify(token, KEY) == person
    assert verify(token, "another key") is None
    assert new_person_id() != person


@pytest.mark.parametrize("forged", [
    None, "", "p-abc", "nonsense.sig", "p-AAAAAAAAAAAAAAAA.", "p-AAAAAAAAAAAAAAAA.xyz", "a.b.c", "unknown.x",
])
def test_anything_else_is_nobody(forged):
    assert verify(forged, KEY) is None


def test_a_token_with_another_persons_id_does_not_verify():
    mine, theirs = new_person_id(), new_person_id()
    signature = sign(mine, KEY).split(".")[1]
    assert verify(f"{theirs}.{signature}", KEY) is None


def test_the_key_comes_from_the_environment_first():
    assert signing_key("stored", {"MIRROR_SECRET_KEY": "from-env"}) == "from-env"
    assert signing_key("stored", {"MIRROR_SECRET_KEY": "  "}) == "stored"
    assert signing_key(None, {}) is None


def test_a_logged_in_persons_id_comes_from_the_email_and_hides_it():
    from mirror.services.people import person_for_email

    person = person_for_email("Ada.Lovelace@School.org ")
    assert person == person_for_email("ada.lovelace@school.org") and person.startswith("u-")
    assert "ada" not in person.lower() and person != person_for_email("bo@school.org")


def test_teachers_are_listed_by_email_in_any_case():
    from mirror.services.people import teacher_emails

    assert teacher_emails("Ada@School.org, bo@x.org;cy@y.org  dee@z.org") == {
        "ada@school.org", "bo@x.org", "cy@y.org", "dee@z.org"}
    assert teacher_emails(None) == frozenset() == teacher_emails("  ")
