"""A model name becomes a `LoadedModel`: resolved, loaded (torch or llama.cpp), cached, bound to its thread.

Layer: above `mirror.engine` (a `LoadedModel` is the engine's `ModelHandle`), below `mirror.services`.
"""

from mirror.models.loaded import LoadedModel, ModelInfo, context_length, end_token_ids, wrap_model
from mirror.models.loaders import load_model
from mirror.models.resolve import ModelLoadError, ModelSpec, bundled_folder, choose_device, choose_dtype, resolve_model

__all__ = [
    "LoadedModel", "ModelInfo", "ModelLoadError", "ModelSpec", "bundled_folder", "choose_device", "choose_dtype",
    "context_length", "end_token_ids", "load_model", "resolve_model", "wrap_model",
]
