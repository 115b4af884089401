"""deploy/k8s: every manifest is valid Kubernetes, and the pieces point at each other.

Schema check: kubernetes-validate, whose Kubernetes JSON schemas ship inside the package, in strict
mode (an unknown or misspelt field is an error, as `kubectl apply` would make it). The network is
cut while it runs, to prove nothing is downloaded. Cross-references (Service -> pods, Ingress ->
Service, probes -> port, secretKeyRef -> Secret key, kustomization -> files) are checked on the
plain YAML, since no schema can see them.
"""

from __future__ import annotations

import copy
import re
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
NAMESPACE = "magic-mirror"
# The oldest Kubernetes these manifests are meant for, and the newest schema kubernetes-validate
# 1.37.0 ships. Each manifest must validate against both.
K8S_VERSIONS = ("1.30", "1.37")
HEALTH_PATH = "/_stcore/health"
APP_PORT = 8501
VLLM_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
# Not applied by kustomize on purpose: it holds placeholders (see its header).
NOT_IN_KUSTOMIZATION = {"secret.yaml", "httproute.yaml"}  # the route needs the Gateway API's CRDs
# HTTPRoute is a CRD: kubernetes-validate has no schema for it, so the CRD's own schema is kept here.
HTTPROUTE_SCHEMA = Path(__file__).parent / "schemas" / "httproute-v1-experimental-v1.6.1.json"
CLUSTER_SCOPED = {"Namespace"}


def _load(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


MANIFEST_FILES = sorted(p for p in K8S.glob("*.y*ml") if p.name != "kustomization.yaml")
DOCS = [(path.name, doc) for path in MANIFEST_FILES for doc in _load(path)]
KUSTOMIZATION = yaml.safe_load((K8S / "kustomization.yaml").read_text())


def _id(name: str, doc: dict) -> str:
    return f"{name}:{doc['kind']}/{doc['metadata']['name']}"


def _of_kind(*kinds: str) -> list[dict]:
    return [doc for _, doc in DOCS if doc["kind"] in kinds]


def _one(kind: str, name: str) -> dict:
    found = [doc for doc in _of_kind(kind) if doc["metadata"]["name"] == name]
    assert len(found) == 1, f"expected exactly one {kind} named {name!r}, found {len(found)}"
    return found[0]


WORKLOADS = _of_kind("Deployment", "StatefulSet")
SERVICES = _of_kind("Service")


def _containers(workload: dict) -> list[dict]:
    spec = workload["spec"]["template"]["spec"]
    return spec.get("initContainers", []) + spec["containers"]


def _labels_match(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _pods_selected(selector: dict[str, str]) -> list[dict]:
    return [w for w in WORKLOADS if _labels_match(selector, w["spec"]["template"]["metadata"]["labels"])]


def _container_port(container: dict, port: int | str) -> int | None:
    """The number a probe's or Service's port (a name or a number) stands for in this container."""
    for p in container.get("ports", []):
        if port in (p["containerPort"], p.get("name")):
            return p["containerPort"]
    return None


def _walk(node: Any) -> Iterator[dict]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


_UNITS = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


def _quantity(text: str | int) -> float:
    number, unit = re.fullmatch(r"([0-9.]+)([a-zA-Z]*)", str(text)).groups()
    return float(number) * _UNITS[unit]


def _app() -> tuple[dict, dict]:
    deployment = _one("Deployment", "magic-mirror")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return deployment, container


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to resolve or connect fails the test: the schemas must come from the package."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"network use while validating: {args!r}")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _strict(schema: Any) -> Any:
    """The schema with unknown fields refused wherever it lists the fields, as `kubectl apply` does."""
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    strict = {key: _strict(value) for key, value in schema.items()}
    if "properties" in schema and "additionalProperties" not in schema:
        strict["additionalProperties"] = False
    return strict


def _validate_httproute(doc: dict) -> None:
    import json

    import jsonschema

    schema = _strict(json.loads(HTTPROUTE_SCHEMA.read_text()))
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
    if errors:
        pytest.fail("\n".join(f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors))


def _validate(doc: dict, version: str) -> None:
    if doc.get("apiVersion", "").startswith("gateway.networking.k8s.io/") and doc.get("kind") == "HTTPRoute":
        _validate_httproute(doc)
        return
    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.SchemaNotFoundError as e:  # it only warns on the command line
        pytest.fail(e.message)
    except kubernetes_validate.ValidationError as e:
        pytest.fail(f"{'.'.join(map(str, e.path))}: {e.message}")


# --- schemas ---------------------------------------------------------------------------------------

def test_manifests_exist():
    names = {path.name for path in MANIFEST_FILES}
    assert {"namespace.yaml", "secret.yaml", "configmap.yaml", "app-deployment.yaml", "app-service.yaml",
            "ingress.yaml", "postgres.yaml", "vllm.yaml"} <= names
    assert all(doc.get("apiVersion") and doc.get("kind") and doc.get("metadata", {}).get("name")
               for _, doc in DOCS)


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("name,doc", DOCS, ids=[_id(n, d) for n, d in DOCS])
def test_manifest_matches_kubernetes_schema(name, doc, version, no_network):
    _validate(doc, version)


def _minimal_deployment() -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "broken"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "x"}},
                     "template": {"metadata": {"labels": {"app": "x"}},
                                  "spec": {"containers": [{"name": "x", "image": "x:1",
                                                           "readinessProbe": {"httpGet": {"path": "/", "port": 80}}}]}}}}


def test_validator_accepts_the_minimal_deployment(no_network):
    kubernetes_validate.validate(_minimal_deployment(), K8S_VERSIONS[-1], strict=True)


def test_validator_rejects_a_broken_deployment(no_network):
    broken = _minimal_deployment()
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError) as caught:
        kubernetes_validate.validate(broken, K8S_VERSIONS[-1], strict=True)
    assert list(caught.value.path) == ["spec", "replicas"]


def test_validator_rejects_a_misspelt_field(no_network):
    broken = _minimal_deployment()
    container = broken["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError, match="readinesProbe"):
        kubernetes_validate.validate(broken, K8S_VERSIONS[-1], strict=True)


def test_validator_rejects_a_service_without_a_port_number(no_network):
    broken = copy.deepcopy(_one("Service", "magic-mirror"))
    del broken["spec"]["ports"][0]["port"]
    with pytest.raises(kubernetes_validate.ValidationError, match="'port' is a required property"):
        kubernetes_validate.validate(broken, K8S_VERSIONS[-1], strict=True)


# --- how the pieces connect ----------------------------------------------------------------------

def test_every_resource_is_in_the_namespace():
    _one("Namespace", NAMESPACE)
    for name, doc in DOCS:
        if doc["kind"] not in CLUSTER_SCOPED:
            assert doc["metadata"].get("namespace") == NAMESPACE, _id(name, doc)


def test_workload_selectors_match_their_pod_templates():
    for workload in WORKLOADS:
        selector = workload["spec"]["selector"]["matchLabels"]
        assert _labels_match(selector, workload["spec"]["template"]["metadata"]["labels"]), \
            workload["metadata"]["name"]


def test_every_service_selects_pods_and_a_port_they_listen_on():
    for service in SERVICES:
        selected = _pods_selected(service["spec"]["selector"])
        assert selected, f"Service {service['metadata']['name']} selects no Deployment/StatefulSet pods"
        for port in service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            assert any(_container_port(c, target) for w in selected for c in _containers(w)), \
                f"Service {service['metadata']['name']}: no selected container listens on {target!r}"


def test_every_workload_is_behind_a_service():
    for workload in WORKLOADS:
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert any(_labels_match(s["spec"]["selector"], labels) for s in SERVICES), workload["metadata"]["name"]


def test_statefulset_names_its_headless_service():
    for statefulset in _of_kind("StatefulSet"):
        service = _one("Service", statefulset["spec"]["serviceName"])
        assert service["spec"].get("clusterIP") == "None"
        assert statefulset in _pods_selected(service["spec"]["selector"])


def test_ingress_routes_to_the_app_service_with_sticky_cookie_and_long_timeouts():
    (ingress,) = _of_kind("Ingress")
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert notes["nginx.ingress.kubernetes.io/session-cookie-name"]
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(notes["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    assert ingress["spec"]["ingressClassName"] == "nginx"
    backends = [path["backend"]["service"] for rule in ingress["spec"]["rules"]
                for path in rule["http"]["paths"]]
    assert backends
    for backend in backends:
        service = _one("Service", backend["name"])
        wanted = backend["port"].get("number", backend["port"].get("name"))
        (port,) = [p for p in service["spec"]["ports"] if wanted in (p["port"], p.get("name"))]
        assert port["port"] == APP_PORT
        assert _app()[0] in _pods_selected(service["spec"]["selector"])


def test_httproute_routes_to_the_app_service_with_a_session_cookie():
    (route,) = _of_kind("HTTPRoute")
    (rule,) = route["spec"]["rules"]
    persistence = rule["sessionPersistence"]
    assert persistence["type"] == "Cookie" and persistence["sessionName"]
    # The CRD's CEL rule that JSON Schema cannot check: a permanent cookie needs its lifetime.
    assert persistence["cookieConfig"]["lifetimeType"] != "Permanent" or persistence["absoluteTimeout"]
    (backend,) = rule["backendRefs"]
    service = _one("Service", backend["name"])
    assert backend["port"] in [p["port"] for p in service["spec"]["ports"]] and backend["port"] == APP_PORT
    assert _app()[0] in _pods_selected(service["spec"]["selector"])
    assert route["spec"]["hostnames"] == [r["host"] for r in _of_kind("Ingress")[0]["spec"]["rules"]]


def test_httproute_schema_refuses_a_misspelt_session_field():
    (route,) = _of_kind("HTTPRoute")
    broken = copy.deepcopy(route)
    broken["spec"]["rules"][0]["sessionPersistence"]["sesionName"] = "typo"
    broken["spec"]["rules"][0]["sessionPersistence"]["type"] = "Magic"
    with pytest.raises(pytest.fail.Exception) as caught:
        _validate_httproute(broken)
    assert "'sesionName' was unexpected" in str(caught.value)
    assert "'Magic' is not one of ['Cookie', 'Header']" in str(caught.value)


def test_app_probes_hit_streamlit_health_on_8501():
    _, container = _app()
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        probe = container[kind]["httpGet"]
        assert probe["path"] == HEALTH_PATH, kind
        assert _container_port(container, probe["port"]) == APP_PORT, kind
    startup = container["startupProbe"]
    # Importing torch and unpacking the model on a busy node can take minutes.
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 120


def test_app_runs_replicated_non_root_read_only_and_sized_for_the_model():
    deployment, container = _app()
    pod = deployment["spec"]["template"]["spec"]
    assert deployment["spec"]["replicas"] >= 2
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["image"].startswith("magic-mirror:")
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    empty_dirs = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
    config = _one("ConfigMap", "magic-mirror-config")["data"]
    # Every place the app writes to is on a writable volume. The weight cache is the image's own,
    # only read (the app loads a valid cache without writing), so it may stay on the read-only root.
    assert config["MIRROR_CACHE_DIR"] == "/opt/magic-mirror/cache"
    for path in ("/tmp", config["HF_HOME"], config["HOME"]):
        mount = next((m for m in mounts if path == m or path.startswith(m + "/")), None)
        assert mount and mounts[mount] in empty_dirs, f"{path} is not on an emptyDir"
    assert _quantity(container["resources"]["requests"]["memory"]) >= 1.5 * 2**30


def test_every_container_has_resources_within_limits_and_mounts_existing_volumes():
    for workload in WORKLOADS:
        pod = workload["spec"]["template"]["spec"]
        volumes = {v["name"] for v in pod.get("volumes", [])}
        volumes |= {t["metadata"]["name"] for t in workload["spec"].get("volumeClaimTemplates", [])}
        for container in _containers(workload):
            where = f"{workload['metadata']['name']}/{container['name']}"
            requests, limits = container["resources"]["requests"], container["resources"]["limits"]
            for resource in ("cpu", "memory"):
                assert _quantity(requests[resource]) <= _quantity(limits[resource]), f"{where} {resource}"
            for mount in container.get("volumeMounts", []):
                assert mount["name"] in volumes, f"{where} mounts unknown volume {mount['name']}"


def test_every_secret_and_configmap_reference_exists():
    secrets = {d["metadata"]["name"]: {**d.get("data", {}), **d.get("stringData", {})} for d in _of_kind("Secret")}
    configs = {d["metadata"]["name"]: d.get("data", {}) for d in _of_kind("ConfigMap")}
    seen = 0
    for name, doc in DOCS:
        for node in _walk(doc):
            for field, store, kind in (("secretKeyRef", secrets, "Secret"), ("configMapKeyRef", configs, "ConfigMap")):
                if field in node:
                    ref = node[field]
                    assert ref["name"] in store, f"{_id(name, doc)}: no {kind} {ref['name']}"
                    assert ref["key"] in store[ref["name"]], f"{_id(name, doc)}: {kind} {ref['name']} has no key {ref['key']}"
                    seen += 1
            for field, store in (("secretRef", secrets), ("configMapRef", configs)):
                if field in node:
                    assert node[field]["name"] in store, f"{_id(name, doc)}: no {field} {node[field]['name']}"
    assert seen >= 5


def test_secret_holds_only_placeholders():
    (secret,) = _of_kind("Secret")
    assert "data" not in secret
    assert {"STREAMLIT_SERVER_COOKIE_SECRET", "POSTGRES_PASSWORD", "MIRROR_BACKEND_API_KEY"} <= set(secret["stringData"])
    for key, value in secret["stringData"].items():
        assert value.startswith("CHANGE-ME"), f"{key} looks like a real secret: never commit one"


def test_env_expansions_refer_to_variables_defined_before():
    for workload in WORKLOADS:
        for container in _containers(workload):
            defined = {k for ref in container.get("envFrom", []) if "configMapRef" in ref
                       for k in _one("ConfigMap", ref["configMapRef"]["name"])["data"]}
            for var in container.get("env", []):
                for used in re.findall(r"\$\((\w+)\)", var.get("value", "")):
                    assert used in defined, f"{container['name']}: {var['name']} uses $({used}) before it is set"
                defined.add(var["name"])


def test_app_database_url_points_at_postgres():
    _, container = _app()
    env = {v["name"]: v for v in container["env"]}
    url = urlsplit(env["MIRROR_DATABASE_URL"]["value"])
    assert url.scheme == "postgresql"
    postgres = _one("Service", url.hostname)
    assert url.port in [p["port"] for p in postgres["spec"]["ports"]]
    assert _one("StatefulSet", "postgres") in _pods_selected(postgres["spec"]["selector"])
    # The app and the database read the password and names from the very same keys.
    (pg,) = _one("StatefulSet", "postgres")["spec"]["template"]["spec"]["containers"]
    pg_env = {v["name"]: v for v in pg["env"]}
    for name in ("POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD"):
        assert env[name]["valueFrom"] == pg_env[name]["valueFrom"], name


def test_vllm_serves_the_model_the_app_asks_for():
    deployment = _one("Deployment", "vllm")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"].startswith("vllm/vllm-openai:")
    args = container["args"]
    assert args[args.index("--model") + 1] == VLLM_MODEL
    port = int(args[args.index("--port") + 1])
    assert _container_port(container, "http") == port == 8000
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[kind]["httpGet"]["path"] == "/health", kind
        assert _container_port(container, container[kind]["httpGet"]["port"]) == port, kind
    config = _one("ConfigMap", "magic-mirror-config")["data"]
    assert config["MIRROR_BACKEND_MODEL"] == VLLM_MODEL
    backend = urlsplit(config["MIRROR_BACKEND_URL"])
    assert backend.path == "/v1"
    service = _one("Service", backend.hostname)
    (service_port,) = [p for p in service["spec"]["ports"] if p["port"] == backend.port]
    assert _container_port(container, service_port["targetPort"]) == port
    assert deployment in _pods_selected(service["spec"]["selector"])
    # vLLM demands the key the app sends.
    (api_key,) = [v for v in container["env"] if v["name"] == "VLLM_API_KEY"]
    (app_key,) = [v for v in _app()[1]["env"] if v["name"] == "MIRROR_BACKEND_API_KEY"]
    assert api_key["valueFrom"] == app_key["valueFrom"]


def test_network_policies_select_existing_pods():
    for policy in _of_kind("NetworkPolicy"):
        assert _pods_selected(policy["spec"]["podSelector"]["matchLabels"]), policy["metadata"]["name"]
        for rule in policy["spec"]["ingress"]:
            for peer in rule["from"]:
                assert _pods_selected(peer["podSelector"]["matchLabels"]), policy["metadata"]["name"]


def test_kustomization_lists_every_manifest():
    listed = KUSTOMIZATION["resources"]
    assert len(listed) == len(set(listed))
    assert all((K8S / name).is_file() for name in listed)
    assert set(listed) == {p.name for p in MANIFEST_FILES} - NOT_IN_KUSTOMIZATION
    assert not set(listed) & NOT_IN_KUSTOMIZATION
    assert KUSTOMIZATION["namespace"] == NAMESPACE
    images = {image["name"] for image in KUSTOMIZATION.get("images", [])}
    assert _app()[1]["image"].split(":")[0] in images


def test_kustomize_build_is_valid(no_network):
    """`kubectl kustomize` renders the whole set (offline); runs where kubectl is installed."""
    kubectl = shutil.which("kubectl")
    if not kubectl:
        pytest.skip("kubectl not installed")
    built = subprocess.run([kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    rendered = [doc for doc in yaml.safe_load_all(built.stdout) if doc]
    assert len(rendered) == sum(1 for name, _ in DOCS if name not in NOT_IN_KUSTOMIZATION)
    for doc in rendered:
        _validate(doc, K8S_VERSIONS[-1])
