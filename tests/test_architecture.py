"""The architecture holds: layered imports, no import cycles, no reaching into another module's private names.

Layers, bottom up: `mirror.config` and `mirror.text` (leaves) < `mirror.engine` < `mirror.models` <
`mirror.services` < `mirror.ui` and `mirror.cli`. A module imports only from lower layers and its own
package; `mirror.ui` is imported only by the pages (`Home.py`, `app_pages/`). Read from the source (AST),
so function-local and TYPE_CHECKING imports count too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {"config": 0, "text": 0, "i18n": 0, "engine": 1, "models": 2, "services": 3, "ui": 4, "cli": 4, "__main__": 5}
PAGES = [ROOT / "Home.py", *sorted((ROOT / "app_pages").glob("*.py"))]
# Private names of third-party objects that have no public way in; each says why.
THIRD_PARTY_PRIVATE = {
    ("mirror/models/llamacpp.py", "_ctx"): "llama-cpp-python: one context with several KV sequences has no public API",
    ("mirror/models/llamacpp.py", "_model"): "llama-cpp-python: the model a new context is made for",
    ("mirror/models/llamacpp.py", "_batch"): "llama-cpp-python: the batch buffer its own eval fills",
    ("mirror/models/llamacpp.py", "_internals"): "llama-cpp-python: LlamaContext lives there",
    ("mirror/models/gguf_f16.py", "_logger"): "llama-cpp-python: the quantizer's log level",
    ("mirror/engine/forward.py", "_attn_implementation"):
        "transformers: the attention in use has no public getter (its docs read config._attn_implementation)",
    ("tests/services/test_inside_look.py", "_attn_implementation"): "transformers: as above",
    ("tests/app/test_inside_page.py", "_attn_implementation"): "transformers: as above",
    ("tests/app/language_kit.py", "_tree"):
        "AppTest: the whole element tree (main, sidebar and the bottom chat input) has no public getter",
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((ROOT / "mirror").rglob("*.py"))}


MODULES = project_modules()


def imports_of(path: Path) -> Iterator[tuple[str, int]]:
    """Every project module `path` imports (any depth in the file), with the line."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "mirror":
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] == "mirror":
            yield node.module, node.lineno
            for alias in node.names:  # `from mirror.engine import forward` imports a module
                if f"{node.module}.{alias.name}" in MODULES:
                    yield f"{node.module}.{alias.name}", node.lineno


def layer_of(module: str) -> tuple[int, str]:
    parts = module.split(".")
    if len(parts) == 1:
        return -1, "mirror"  # the package itself (empty)
    return LAYERS[parts[1]], parts[1]


def test_every_module_belongs_to_a_layer():
    for module in MODULES:
        parts = module.split(".")
        assert len(parts) == 1 or parts[1] in LAYERS, f"{module} is in no layer: add it to a package"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_layers(module):
    level, package = layer_of(module)
    for target, line in imports_of(MODULES[module]):
        their_level, their_package = layer_of(target)
        if their_package == package or their_level < 0:
            continue
        assert their_level < level, (f"{MODULES[module].relative_to(ROOT)}:{line} imports {target}: "
                                     f"{package} (layer {level}) may import only lower layers")
        if level == 0:
            raise AssertionError(f"{module} is a leaf: it may import nothing from mirror (line {line})")


def test_only_the_pages_import_the_ui():
    for module, path in MODULES.items():
        if layer_of(module)[1] in ("ui",):
            continue
        for target, line in imports_of(path):
            assert not target.startswith("mirror.ui"), f"{path.relative_to(ROOT)}:{line} imports {target}"
    for page in PAGES:
        for target, line in imports_of(page):
            assert target.startswith("mirror.ui"), f"{page.name}:{line} imports {target}: pages talk to mirror.ui only"


def test_there_is_no_import_cycle():
    graph = {m: {t for t, _ in imports_of(p) if t in MODULES and t != m} for m, p in MODULES.items()}
    # A package's __init__ re-exporting its submodules is not a cycle with them when they do not import it.
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> None:
        if module in done:
            return
        if module in visiting:
            cycle = visiting[visiting.index(module):] + [module]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        visiting.append(module)
        for target in sorted(graph[module]):
            visit(target)
        visiting.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)


def python_files() -> list[Path]:
    return [*PAGES, *sorted((ROOT / "mirror").rglob("*.py")), *sorted((ROOT / "tests").rglob("*.py")),
            *sorted((ROOT / "bench").rglob("*.py"))]


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_uses(path: Path) -> Iterator[tuple[int, str]]:
    """`x._name` for any x but self and cls, `from m import _name`, and monkeypatching `_name` by string."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and private(node.attr):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                yield node.lineno, node.attr
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("mirror", "tests"):
            yield from ((node.lineno, a.name) for a in node.names if private(a.name))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "setattr" \
                and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) \
                and isinstance(node.args[1].value, str) and private(node.args[1].value.rsplit(".", 1)[-1]):
            yield node.lineno, node.args[1].value


def test_no_module_touches_another_modules_private_names():
    found = []
    for path in python_files():
        relative = path.relative_to(ROOT).as_posix()
        for line, name in private_uses(path):
            if (relative, name) not in THIRD_PARTY_PRIVATE:
                found.append(f"{relative}:{line} uses {name}")
    assert not found, "private names used from outside their class or module:\n" + "\n".join(found)
