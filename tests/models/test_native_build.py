"""llama-cpp-python is built to run on any x86-64 CPU: no native tuning, no AVX-512, no AMX.

A `-march=native` build made on an Intel Xeon that lists AMX holds `tilezero` and friends and dies of
SIGILL where the OS does not enable AMX; a build with AVX-512 dies on the AMD and older Intel CPUs
without it. The install script's flags are checked as text (dry run), and the installed libraries
are disassembled: the proof is what is in them, not what was asked for.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALL = ROOT / "scripts" / "install.sh"
AMX = re.compile(r"\b(tilezero|tileloadd|tileloaddt1|tilestored|tilerelease|ldtilecfg|sttilecfg|tdpb[su]{2}d|"
                 r"tdpbf16ps|tdpfp16ps|tcmmimfp16ps|tcmmrlfp16ps)\b")
AVX512 = re.compile(r"%zmm\d+|\{%k[1-7]\}")
X86 = platform.machine().lower() in ("x86_64", "amd64")


def _dry_run(tmp_path: Path, *extra: str) -> list[list[str]]:
    env = dict(os.environ, MIRROR_WHEEL_CACHE=str(tmp_path / "wheels"))
    result = subprocess.run(["bash", str(INSTALL), "--dry-run", "--system", "--python", sys.executable, "--llamacpp",
                             *extra], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return [shlex.split(line[2:]) for line in result.stdout.splitlines() if line.startswith("+ ")]


def test_the_install_script_builds_llama_cpp_without_native_tuning(tmp_path):
    commands = _dry_run(tmp_path)
    build = next(c for c in commands if "wheel" in c)
    cmake = next(w for w in build if w.startswith("CMAKE_ARGS=")).split("=", 1)[1].split()
    assert "-DGGML_NATIVE=OFF" in cmake
    if X86:
        for flag in ("GGML_AVX2=ON", "GGML_FMA=ON", "GGML_F16C=ON", "GGML_AVX512=OFF", "GGML_AMX_TILE=OFF",
                     "GGML_AMX_INT8=OFF", "GGML_AMX_BF16=OFF"):
            assert f"-D{flag}" in cmake, flag
    # pip's wheel cache does not know the flags: it must not hand back a wheel built with others.
    assert "--no-cache-dir" in build and "--no-binary" in build
    installs = [c for c in commands if c[3:4] == ["install"] and any(w.endswith(".whl") for w in c)]
    assert installs and "--force-reinstall" in installs[0], "a llama-cpp-python built otherwise is replaced"


def test_a_wheel_built_before_with_the_same_flags_is_reused(tmp_path):
    first = _dry_run(tmp_path)
    target = Path(next(c for c in first if "wheel" in c)[-2])  # -w DIR.partial
    built = Path(str(target).removesuffix(".partial"))
    built.mkdir(parents=True)
    (built / "llama_cpp_python-0.3.36-cp311-cp311-linux_x86_64.whl").write_bytes(b"")
    again = _dry_run(tmp_path)
    assert not any("wheel" in c for c in again), "built again although the same build is in the cache"
    assert any(str(built) in " ".join(c) for c in again)


def _installed_libraries() -> list[Path]:
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        if os.environ.get("CI"):
            pytest.fail("llama-cpp-python is not installed (make test installs it)")
        pytest.skip("llama-cpp-python is not installed")
    folder = Path(list(spec.submodule_search_locations)[0])
    found = (p.resolve() for p in folder.rglob("*") if p.suffix in (".so", ".dylib") or ".so." in p.name)
    libs = sorted(set(found))  # libggml-cpu.so, .so.0 and .so.0.x are one file
    assert libs, f"no shared libraries under {folder}"
    return libs


@pytest.mark.skipif(not X86, reason="the AMX / AVX-512 question is an x86-64 one")
def test_the_installed_llama_cpp_holds_no_amx_and_no_avx512_instructions():
    libs = _installed_libraries()
    if shutil.which("objdump") is None:
        pytest.skip("objdump (binutils) is not installed")
    cpu = next((lib for lib in libs if "ggml-cpu" in lib.name), None)
    assert cpu is not None, f"no libggml-cpu among {[lib.name for lib in libs]}"
    for lib in libs:
        text = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(lib)], capture_output=True, text=True,
                              timeout=300).stdout
        assert text.strip(), f"objdump could not read {lib}"
        amx, avx512 = AMX.search(text), AVX512.search(text)
        assert amx is None, f"{lib.name} holds AMX instructions ({amx.group(0)}): SIGILL where the OS lacks AMX"
        assert avx512 is None, f"{lib.name} holds AVX-512 ({avx512.group(0)}): SIGILL on CPUs without it"
    # ... and it does use the AVX2 generation, so the portable build is not a slow scalar one.
    cpu_text = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(cpu)], capture_output=True, text=True,
                              timeout=300).stdout
    assert re.search(r"\bvfmadd\w+\s+%ymm", cpu_text), "no AVX2/FMA code in libggml-cpu"


def test_llama_cpp_reports_the_instruction_sets_it_uses():
    _installed_libraries()
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode()
    if X86:
        assert "AVX2 = 1" in info, info
        assert "AMX_INT8 = 1" not in info and "AVX512 = 1" not in info, info
