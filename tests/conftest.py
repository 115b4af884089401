"""Shared fixtures: the bundled model once per test process, tiny models built here, a scripted fake model.

No test touches the network: the Hub is switched to offline mode before transformers is imported.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402
import torch  # noqa: E402

from mirror.models import LoadedModel, load_model, wrap_model  # noqa: E402
from mirror.models.pool import shared_pool  # noqa: E402


@pytest.fixture(scope="session")
def bundled() -> LoadedModel:
    """The real bundled SmolLM2, loaded once (from the weight cache after the first run): the process's
    pooled copy, the same model object the pages under AppTest get."""
    return shared_pool().get()


@pytest.fixture(scope="session")
def tokenizer(bundled: LoadedModel):
    return bundled.tokenizer


def build_tiny_llama(vocab: int):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                         bos_token_id=1, eos_token_id=2, pad_token_id=2, tie_word_embeddings=True)
    return LlamaForCausalLM(config).eval()


def build_tiny_gpt2(vocab: int):
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    config = GPT2Config(vocab_size=vocab, n_positions=64, n_embd=32, n_layer=2, n_head=4, bos_token_id=0,
                        eos_token_id=0)
    return GPT2LMHeadModel(config).eval()


@pytest.fixture(scope="session")
def tiny_llama_dir(tmp_path_factory, tokenizer) -> Path:
    """A tiny random Llama saved as a local model folder, with the bundled tokenizer (it has a chat template)."""
    folder = tmp_path_factory.mktemp("tiny-llama")
    build_tiny_llama(len(tokenizer)).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_gpt2_dir(tmp_path_factory, tokenizer) -> Path:
    """A tiny random GPT-2 style base model: same vocabulary, no chat template."""
    folder = tmp_path_factory.mktemp("tiny-gpt2")
    build_tiny_gpt2(len(tokenizer)).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    config = folder / "tokenizer_config.json"
    import json

    data = json.loads(config.read_text())
    data.pop("chat_template", None)
    config.write_text(json.dumps(data))
    (folder / "chat_template.jinja").unlink(missing_ok=True)
    return folder


@pytest.fixture(scope="session")
def tiny_llama(tiny_llama_dir) -> LoadedModel:
    return load_model(str(tiny_llama_dir), device="cpu", cache_dir=None)


class ScriptedModel(torch.nn.Module):
    """A fake causal LM that always puts almost all probability on the next token of a script.

    With greedy decoding and no penalties it writes the script exactly, which lets tests drive the
    generation loop through any token sequence (emoji split over bytes, stop strings, ...).
    """

    def __init__(self, script: list[int], vocab: int, eos_id: int, context: int = 512):
        super().__init__()
        self.script = script
        self.vocab = vocab
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.config = SimpleNamespace(max_position_embeddings=context)
        self.generation_config = SimpleNamespace(eos_token_id=eos_id)
        self.prompt_length: int | None = None

    @property
    def device(self) -> torch.device:
        return self.weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.weight.dtype

    def forward(self, input_ids, past_key_values=None, use_cache=True, logits_to_keep=None):
        seen = (past_key_values or 0) + input_ids.shape[1]
        if past_key_values is None:
            self.prompt_length = input_ids.shape[1]
        position = seen - self.prompt_length
        target = self.script[position] if position < len(self.script) else self.generation_config.eos_token_id
        logits = torch.full((1, 1, self.vocab), -10.0)
        logits[0, 0, target] = 10.0
        return SimpleNamespace(logits=logits, past_key_values=seen)


@pytest.fixture
def scripted(tokenizer):
    """scripted(text) -> LoadedModel whose greedy output is exactly `text`'s tokens."""

    def make(text: str, context: int = 512) -> LoadedModel:
        ids = tokenizer(text, add_special_tokens=False).input_ids
        return wrap_model(ScriptedModel(ids, len(tokenizer), tokenizer.eos_token_id, context), tokenizer, "scripted")

    return make


@pytest.fixture
def scripted_ids(tokenizer):
    """scripted_ids(ids) -> LoadedModel whose greedy output is exactly these token ids."""
    return lambda ids: wrap_model(ScriptedModel(ids, len(tokenizer), tokenizer.eos_token_id), tokenizer, "scripted")
