"""What our manifests must say beyond what any schema checks: every function deployed as the
image runs it, the rules of the issue (settle cluster-local on a PingSource, a relay that
keeps an instance, the worker a Deployment, migrations a Job, config.json for the web app),
and PostgreSQL's connection budget (knative/README.md, "Connections")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from parkshare import functions
from parkshare.config import Settings
from parkshare.run.cli import app as cli_app
from tests.deploy.validate import KNATIVE, Doc, Invalid, load_docs

KSVC = ("serving.knative.dev/v1", "Service")
MIN_SCALE = "autoscaling.knative.dev/min-scale"
MAX_SCALE = "autoscaling.knative.dev/max-scale"
TARGET = "autoscaling.knative.dev/target"
VISIBILITY = "networking.knative.dev/visibility"
CONFIG = "parkshare-config"
WEB_CONFIG = "parkshare-web"
MIGRATOR = "parkshare-migrator"
DATABASE_SECRETS = {"parkshare-runtime", MIGRATOR}
# PostgreSQL's max_connections each overlay is sized for (the base: a small building on the
# server's default), less the superuser's reserve (3) and room for operators, backups and
# monitoring (10).
MAX_CONNECTIONS = {None: 100, "staging": 100, "production": 400}
RESERVED_CONNECTIONS = 3 + 10


def cli_commands() -> set[str]:
    return {c.name or "" for c in cli_app.registered_commands}


def example_secrets() -> dict[str, set[str]]:
    return {
        d["metadata"]["name"]: set(d.get("stringData", {}))
        for d in load_docs(KNATIVE / "secrets.example.yaml")
    }


@dataclass(frozen=True)
class Workload:
    doc: Doc
    pod: dict[str, Any]  # the pod spec
    annotations: dict[str, str]

    @property
    def name(self) -> str:
        return str(self.doc["metadata"]["name"])

    @property
    def kind(self) -> str:
        return str(self.doc["kind"])

    @property
    def container(self) -> dict[str, Any]:
        containers: list[dict[str, Any]] = self.pod["containers"]
        return containers[0]

    def env(self) -> dict[str, Any]:
        return {e["name"]: e for e in self.container.get("env", [])}

    def env_from(self, kind: str) -> list[str]:
        return [e[kind]["name"] for e in self.container.get("envFrom", []) if kind in e]


def workloads(docs: list[Doc]) -> Iterator[Workload]:
    for doc in docs:
        if (doc["apiVersion"], doc["kind"]) != KSVC and doc["kind"] not in ("Deployment", "Job"):
            continue
        template = doc["spec"]["template"]
        annotations = (template.get("metadata") or {}).get("annotations") or {}
        yield Workload(doc, template["spec"], annotations)


def _scale(w: Workload, key: str, problems: list[str]) -> int | None:
    value = w.annotations.get(key)
    if value is None or not value.isdigit():
        problems.append(f"{w.name}: {key} must be set to a whole number, not {value!r}")
        return None
    return int(value)


def _probe(w: Workload, kind: str, path: str, problems: list[str]) -> None:
    probe = w.container.get(kind) or {}
    if (probe.get("httpGet") or {}).get("path") != path:
        problems.append(f"{w.name}: {kind} must GET {path}")


def _config_value(docs: list[Doc], key: str) -> str | None:
    for doc in docs:
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == CONFIG:
            value = (doc.get("data") or {}).get(key)
            return None if value is None else str(value)
    return None


def connections(docs: list[Doc]) -> list[tuple[str, int, int]]:
    """(workload, pods at most, connections per pod) of everything that opens PostgreSQL
    connections: max-scale pods for a Knative Service, replicas for a Deployment."""
    default_pool = _config_value(docs, "PARKSHARE_DB_POOL_MAX")
    rows = []
    for w in workloads(docs):
        if not DATABASE_SECRETS & set(w.env_from("secretRef")):
            continue
        if w.kind == "Job":
            # `parkshare migrate` uses one connection, whatever the pool size says.
            rows.append((w.name, int(w.doc["spec"].get("parallelism", 1)), 1))
            continue
        if w.kind == "Deployment":
            pods = int(w.doc["spec"].get("replicas", 1))
        else:
            pods = int(w.annotations.get(MAX_SCALE, "0") or 0)
        override = w.env().get("PARKSHARE_DB_POOL_MAX", {}).get("value")
        pool = override or (default_pool if CONFIG in w.env_from("configMapRef") else None)
        rows.append((w.name, pods, int(pool) if pool else Settings().db_pool_max))
    return rows


def _check_function(w: Workload, name: str, pool: int | None, problems: list[str]) -> None:
    env = w.env()
    expected = {
        "FUNCTION_TARGET": functions.target_of(name),
        "FUNCTION_SOURCE": f"/app/functions/{name}/main.py",
    }
    for key, value in expected.items():
        if env.get(key, {}).get("value") != value:
            problems.append(f"{name}: {key} must be {value}")
    if w.container.get("args") != ["serve"]:
        problems.append(f"{name}: the container must run `parkshare serve`")
    _probe(w, "readinessProbe", "/readyz", problems)
    _probe(w, "livenessProbe", "/healthz", problems)
    if w.annotations.get(TARGET) is None:
        problems.append(f"{name}: {TARGET} is not set")
    concurrency = w.pod.get("containerConcurrency")
    if not isinstance(concurrency, int):
        problems.append(f"{name}: containerConcurrency must be set")
    elif concurrency and pool is not None and pool < concurrency:
        # The style's rule: no request waits for a pooled connection.
        problems.append(f"{name}: pool {pool} is smaller than containerConcurrency {concurrency}")
    if CONFIG not in w.env_from("configMapRef"):
        problems.append(f"{name}: env must come from the ConfigMap {CONFIG}")
    if "parkshare-runtime" not in w.env_from("secretRef"):
        problems.append(f"{name}: env must come from the Secret parkshare-runtime")


def _check_config_json(docs: list[Doc], problems: list[str]) -> None:
    found = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == WEB_CONFIG]
    if len(found) != 1:
        problems.append(f"one ConfigMap {WEB_CONFIG} with config.json is needed")
        return
    try:
        config = json.loads(found[0]["data"]["config.json"])
    except (KeyError, json.JSONDecodeError) as exc:
        problems.append(f"{WEB_CONFIG}: config.json does not parse: {exc}")
        return
    urls = config.get("functions") or {}
    if set(urls) != set(functions.NAMES):
        problems.append(f"config.json: functions must be exactly {sorted(functions.NAMES)}")
    for name, url in urls.items():
        parts = urlsplit(str(url))
        internal = parts.scheme == "http" and parts.hostname and parts.hostname.endswith(".local")
        if not (parts.scheme == "https" or (name == "settle" and internal)) or not parts.hostname:
            problems.append(f"config.json: {name} must be an https URL, not {url!r}")
    relay = urlsplit(str(config.get("relay", "")))
    if relay.scheme != "wss" or relay.path != "/ws":
        problems.append(f"config.json: relay must be wss://…/ws, not {config.get('relay')!r}")
    if config.get("demo") is not False:
        problems.append("config.json: demo must be false (no demo logins on a real deployment)")


def check(docs: list[Doc], overlay: str | None) -> None:
    """Raises Invalid listing every rule `docs` (one rendered kustomization) breaks."""
    problems: list[str] = []
    services = {d["metadata"]["name"]: d for d in docs if (d["apiVersion"], d["kind"]) == KSVC}
    by_name = {(w.kind, w.name): w for w in workloads(docs)}
    pool_default = _config_value(docs, "PARKSHARE_DB_POOL_MAX")
    commands = cli_commands()
    secrets = example_secrets()
    config_maps = {d["metadata"]["name"] for d in docs if d["kind"] == "ConfigMap"}

    for name in functions.NAMES:
        w = by_name.get(("Service", name))
        if w is None:
            problems.append(f"no Knative Service for the function {name}")
            continue
        override = w.env().get("PARKSHARE_DB_POOL_MAX", {}).get("value")
        pool = override or pool_default
        _check_function(w, name, int(pool) if pool else None, problems)

    settle = services.get("settle")
    if (
        settle is not None
        and settle["metadata"].get("labels", {}).get(VISIBILITY) != "cluster-local"
    ):
        problems.append(f"settle must be cluster-local ({VISIBILITY}: cluster-local)")
    pings = [
        d for d in docs if (d["apiVersion"], d["kind"]) == ("sources.knative.dev/v1", "PingSource")
    ]
    sinks = [(p["spec"].get("sink") or {}).get("ref") or {} for p in pings]
    if not any(s.get("kind") == "Service" and s.get("name") == "settle" for s in sinks):
        problems.append("a sources.knative.dev/v1 PingSource must send to the settle Service")

    relay = by_name.get(("Service", "relay"))
    if relay is None or relay.container.get("args") != ["relay"]:
        problems.append("the relay must be a Knative Service running `parkshare relay`")
    elif (_scale(relay, MIN_SCALE, problems) or 0) < 1:
        problems.append("the relay must keep at least one instance (min-scale >= 1)")
    worker = by_name.get(("Deployment", "worker"))
    if worker is None or worker.container.get("args") != ["worker"]:
        problems.append("the worker must be a Deployment running `parkshare worker`")
    migrate = by_name.get(("Job", "migrate"))
    if migrate is None or migrate.container.get("args") != ["migrate"]:
        problems.append("migrations must be a Job running `parkshare migrate`")
    web = by_name.get(("Service", "web"))
    if web is None or web.container.get("args") != ["web"]:
        problems.append("the web app must be a Knative Service running `parkshare web`")
    _check_config_json(docs, problems)

    for w in by_name.values():
        image = str(w.container.get("image", ""))
        if overlay is not None and ("/" not in image or ":" not in image.rsplit("/", 1)[-1]):
            problems.append(
                f"{w.name}: the overlay must name a registry image and tag, not {image!r}"
            )
        args = w.container.get("args") or [""]
        if args[0] not in commands:
            problems.append(f"{w.name}: `parkshare {args[0]}` is not a command of the CLI")
        if w.kind == "Service":
            low, high = _scale(w, MIN_SCALE, problems), _scale(w, MAX_SCALE, problems)
            if low is not None and high is not None and (high < 1 or low > high):
                problems.append(f"{w.name}: min-scale {low} and max-scale {high} do not fit")
        security = {
            **(w.pod.get("securityContext") or {}),
            **(w.container.get("securityContext") or {}),
        }
        if security.get("runAsNonRoot") is not True:
            problems.append(f"{w.name}: must run as non-root (runAsNonRoot: true)")
        resources = w.container.get("resources") or {}
        if not {"cpu", "memory"} <= set(
            resources.get("requests", {})
        ) or "memory" not in resources.get("limits", {}):
            problems.append(f"{w.name}: resources need cpu and memory requests and a memory limit")
        for ref in w.env_from("configMapRef"):
            if ref not in config_maps:
                problems.append(f"{w.name}: the ConfigMap {ref} is not part of the manifests")
        for ref in w.env_from("secretRef"):
            if ref not in secrets:
                problems.append(
                    f"{w.name}: the Secret {ref} is not in knative/secrets.example.yaml"
                )
        for entry in w.env().values():
            key_ref = (entry.get("valueFrom") or {}).get("secretKeyRef")
            if key_ref and key_ref.get("key") not in secrets.get(key_ref.get("name"), set()):
                problems.append(f"{w.name}: {key_ref} is not in knative/secrets.example.yaml")
        if MIGRATOR in w.env_from("secretRef") and w.kind != "Job":
            problems.append(f"{w.name}: only the migration Job may hold the migrator's credentials")

    budget = MAX_CONNECTIONS[overlay] - RESERVED_CONNECTIONS
    total = sum(pods * per_pod for _, pods, per_pod in connections(docs))
    if total > budget:
        problems.append(
            f"up to {total} PostgreSQL connections, over the budget of {budget} "
            f"(max_connections {MAX_CONNECTIONS[overlay]} less {RESERVED_CONNECTIONS} reserved)"
        )
    if problems:
        raise Invalid("\n".join(problems))


def summary(directory: Path) -> str:
    """The connection arithmetic of one kustomization, as knative/README.md shows it."""
    from tests.deploy.validate import render

    rows = connections(render(directory))
    lines = [
        f"{name:18s} {pods:3d} x {per_pod:2d} = {pods * per_pod:4d}" for name, pods, per_pod in rows
    ]
    lines.append(f"{'total':18s} {sum(p * c for _, p, c in rows):16d}")
    return "\n".join(lines)
