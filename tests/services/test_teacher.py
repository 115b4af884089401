"""The teacher's passcode: hashed, checked in constant time, wrong tries limited per person and in all."""

import pytest

from mirror.services import teacher
from mirror.services.store import Store
from mirror.services.teacher import PasscodeRefused, TeacherPasscode, check_passcode


@pytest.fixture
def store(tmp_path):
    return Store(f"sqlite:///{tmp_path / 'mirror.sqlite3'}")


def test_only_a_hash_is_kept_and_it_matches_the_passcode_only():
    code = TeacherPasscode.of("owl-lantern-42")
    assert "owl-lantern-42" not in repr(code) and b"owl-lantern-42" not in code.digest
    assert code.matches("owl-lantern-42")
    assert not code.matches("owl-lantern-43") and not code.matches("")
    assert TeacherPasscode.of("owl-lantern-42").digest != code.digest  # salted


def test_wrong_tries_are_limited_per_person(store):
    code = TeacherPasscode.of("right")
    for _ in range(teacher.PER_PERSON):
        with pytest.raises(PasscodeRefused, match="not the teacher passcode"):
            check_passcode(store, code, "wrong", "p-guesser")
    with pytest.raises(PasscodeRefused, match="Too many wrong passcodes"):
        check_passcode(store, code, "right", "p-guesser")  # even the right one waits
    check_passcode(store, code, "right", "p-teacher")  # somebody else is not locked out


def test_new_sessions_do_not_escape_the_limit_in_all(store, monkeypatch):
    monkeypatch.setattr(teacher, "IN_ALL", 3)
    code = TeacherPasscode.of("right")
    for n in range(3):
        with pytest.raises(PasscodeRefused, match="not the teacher"):
            check_passcode(store, code, "wrong", f"p-new-{n}")
    with pytest.raises(PasscodeRefused, match="Too many"):
        check_passcode(store, code, "wrong", "p-new-3")
