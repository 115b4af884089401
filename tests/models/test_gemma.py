"""The optional Gemma-3-270M: joined from its chunk packages, refused on a wrong checksum, offered once installed."""

import hashlib
import importlib.util
import re

import pytest
import torch

from mirror.config import BUNDLED_MODEL, GEMMA_MODEL, GEMMA_PACKAGE, GEMMA_TERMS_URL, Settings
from mirror.engine.generation import Generation
from mirror.engine.sampling import SamplingParams
from mirror.models import ModelLoadError, gemma, load_model, resolve_model
from mirror.models.pool import shared_pool
from mirror.services.prompts import prompt_for_text


def fake_chunks(tmp_path, parts=(b"GGUF\x03", b"fake weights ", b"in three chunks")):
    paths = []
    for i, data in enumerate(parts):
        path = tmp_path / f"chunk{i}"
        path.write_bytes(data)
        paths.append(path)
    return paths, hashlib.sha256(b"".join(parts)).hexdigest()


def test_a_joined_file_with_another_checksum_is_refused_and_removed(tmp_path):
    chunks, _ = fake_chunks(tmp_path)
    with pytest.raises(ModelLoadError, match="SHA-256 .* not the pinned"):
        gemma.assemble_gguf(chunks, tmp_path / "joined", sha256=gemma.GEMMA_SHA256)
    assert not (tmp_path / "joined").exists()  # nothing half-trusted is left for the next start


def test_the_joined_file_is_kept_checked_and_rejoined_when_changed(tmp_path):
    chunks, digest = fake_chunks(tmp_path)
    path = gemma.assemble_gguf(chunks, tmp_path / "joined", sha256=digest)
    assert path.name == gemma.GEMMA_GGUF and path.read_bytes() == b"".join(c.read_bytes() for c in chunks)
    first = path.stat().st_ino
    assert gemma.assemble_gguf(chunks, tmp_path / "joined", sha256=digest).stat().st_ino == first  # not joined again
    path.write_bytes(b"tampered")  # a changed file is hashed again, found wrong and joined anew
    assert gemma.assemble_gguf(chunks, tmp_path / "joined", sha256=digest).read_bytes() == b"".join(
        c.read_bytes() for c in chunks)
    chunks[1].write_bytes(b"changed chunk")  # changed packages: the new join is refused
    path.write_bytes(b"tampered again")
    with pytest.raises(ModelLoadError, match="not the pinned"):
        gemma.assemble_gguf(chunks, tmp_path / "joined", sha256=digest)


def test_resolves_by_name_with_the_license_notice():
    for name in (GEMMA_MODEL, " Gemma-3-270M "):
        spec = resolve_model(name)
        assert (spec.kind, spec.name, spec.location) == ("package", GEMMA_MODEL, GEMMA_PACKAGE)
        assert GEMMA_TERMS_URL in str(spec.note) and "Gemma Terms of Use" in str(spec.note)


def pretend_installed(monkeypatch, installed: bool):
    real = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        if name.startswith(GEMMA_PACKAGE):
            return real("json") if installed else None  # any package spec stands in for it
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_offered_after_the_bundled_model_only_when_installed(monkeypatch):
    pretend_installed(monkeypatch, True)
    assert Settings.from_env({}).models == (BUNDLED_MODEL, GEMMA_MODEL)
    assert Settings.from_env({"MIRROR_MODEL": GEMMA_MODEL}).models == (GEMMA_MODEL, BUNDLED_MODEL)
    # The operator's own list stays as written: a public deployment offers only what it names.
    assert Settings.from_env({"MIRROR_MODELS": "gpt2"}).models == (BUNDLED_MODEL, "gpt2")
    pretend_installed(monkeypatch, False)
    assert Settings.from_env({}).models == (BUNDLED_MODEL,)


def test_not_installed_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(gemma, "package_dir", lambda name: None)
    assert not gemma.gemma_installed()
    with pytest.raises(ModelLoadError, match="not installed.*make run-ru"):
        load_model(GEMMA_MODEL, device="cpu", cache_dir=tmp_path)


@pytest.mark.slow
@pytest.mark.skipif(not gemma.gemma_installed(), reason="gemma-3-270m is not installed (make run-ru)")
def test_real_gemma_writes_russian_and_the_engine_equals_model_generate():
    # The process's pooled Gemma (the Russian page tests get the same one), from the app's weight cache: a
    # first run joins and dequantizes.
    lm = shared_pool().get(GEMMA_MODEL)
    assert lm.info.parameters == 268_098_176 and not lm.info.has_chat_template
    assert GEMMA_TERMS_URL in lm.info.note
    assert lm.info.note_in("ru").startswith("gemma-3-270m (по желанию, пишет по-русски) — это Gemma от Google")
    # A Gemma prompt starts with <bos> (without it the model repeats itself): the app's own prompt path adds it.
    ids = list(prompt_for_text(lm, "Жил-был кот, который", chat=False, max_new_tokens=8).ids)
    assert ids == lm.run(lambda: list(lm.tokenizer("Жил-был кот, который").input_ids))
    assert ids[0] == lm.tokenizer.bos_token_id
    greedy = SamplingParams(temperature=0, repetition_penalty=1.0, no_repeat_ngram_size=0, max_new_tokens=8)
    ours = Generation(lm, ids, greedy, protect_end_tokens=False).run_to_end()

    def reference():
        with torch.inference_mode():
            out = lm.model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                    pad_token_id=lm.tokenizer.pad_token_id, **greedy.generate_kwargs())
        return out[0, len(ids):].tolist()

    assert ours.token_ids == lm.run(reference)
    assert len(ours.token_ids) == 8 and re.search("[а-яё]{3}", ours.text)
