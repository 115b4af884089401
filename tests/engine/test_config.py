"""Settings read from the environment: a bad value is refused with a message and the default kept."""

from mirror.config import Settings


def test_max_batch_setting(caplog):
    assert Settings.from_env({}).max_batch == 32
    assert Settings.from_env({"MIRROR_MAX_BATCH": "4"}).max_batch == 4
    for bad in ("0", "many", "1000"):
        assert Settings.from_env({"MIRROR_MAX_BATCH": bad}).max_batch == 32
        assert f"MIRROR_MAX_BATCH must be a whole number from 1 to 64, got {bad!r}" in caplog.text
