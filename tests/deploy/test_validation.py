"""What ships validates offline, and each validator fails on a deliberately broken input (a
check that cannot fail proves nothing)."""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy import policy, validate
from tests.deploy.validate import KNATIVE, REPO, Doc, Invalid


@pytest.fixture(scope="module")
def schemas() -> dict[tuple[str, str], Doc]:
    return validate.knative_schemas()


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[Doc]]:
    return {str(d.relative_to(KNATIVE)): validate.render(d) for d in validate.kustomizations()}


def test_the_manifests_are_all_here() -> None:
    names = {p.relative_to(KNATIVE).as_posix() for p in validate.manifest_files()}
    assert "secrets.example.yaml" in names
    assert {str(p.relative_to(KNATIVE)) for p in validate.kustomizations()} == {
        "base",
        "overlays/staging",
        "overlays/production",
    }


@pytest.mark.parametrize("path", validate.manifest_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_each_manifest_parses_and_validates(
    path: Path, schemas: dict[tuple[str, str], Doc]
) -> None:
    validate.validate_docs(validate.load_docs(path), schemas)


@pytest.mark.parametrize("name", ["base", "overlays/staging", "overlays/production"])
def test_each_kustomization_renders_validates_and_keeps_the_rules(
    name: str, rendered: dict[str, list[Doc]], schemas: dict[tuple[str, str], Doc]
) -> None:
    docs = rendered[name]
    validate.validate_docs(docs, schemas)
    policy.check(docs, overlay=None if name == "base" else name.split("/")[1])


def test_the_workflows_pass_actionlint_and_the_workflow_schema() -> None:
    files = validate.workflow_files()
    assert {f.name for f in files} >= {"ci.yml", "deploy.yml"}
    validate.actionlint(files)
    validate.workflow_schema(files)


def test_the_dockerfile_passes_hadolint() -> None:
    validate.hadolint()


def test_the_readme_shows_the_connection_arithmetic_the_manifests_make() -> None:
    readme = (KNATIVE / "README.md").read_text(encoding="utf-8")
    for overlay in ("staging", "production"):
        table = policy.summary(KNATIVE / "overlays" / overlay)
        assert table in readme, f"knative/README.md must show, for {overlay}:\n{table}"


def test_just_validate_runs_every_check() -> None:
    names = [c.name for c in validate.checks()]
    assert len(names) == len(validate.manifest_files()) + len(validate.kustomizations()) + 4


# --- each validator fails on a broken input -------------------------------------------------


def _doc(relative: str, index: int = 0) -> Doc:
    return copy.deepcopy(validate.load_docs(KNATIVE / relative)[index])


def _set(doc: Doc, path: str, value: Any) -> Doc:
    node: Any = doc
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    last = keys[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return doc


def _without_container_name(relative: str) -> Doc:
    doc = _doc(relative)
    doc["spec"]["template"]["spec"]["containers"][0].pop("name")
    return doc


CORE_BREAKS: dict[str, Callable[[], Doc]] = {
    "a misspelt field": lambda: _set(_doc("base/worker.yaml"), "spec.replica", 2),
    "a string for a number": lambda: _set(_doc("base/worker.yaml"), "spec.replicas", "two"),
    "a container without its name": lambda: _without_container_name("base/migrate.yaml"),
    "a ConfigMap value that is a number": lambda: _set(
        _doc("base/config.yaml"), "data.PARKSHARE_DB_POOL_MAX", 8
    ),
}


@pytest.mark.parametrize("broken", CORE_BREAKS.values(), ids=CORE_BREAKS.keys())
def test_kubernetes_validate_refuses_a_broken_core_manifest(broken: Callable[[], Doc]) -> None:
    with pytest.raises(Invalid):
        validate.validate_core(broken())


def _max_scale(doc: Doc, value: Any) -> Doc:
    # (An annotation's key holds dots: it is no path for _set.)
    doc["spec"]["template"]["metadata"]["annotations"]["autoscaling.knative.dev/max-scale"] = value
    return doc


SPEC = "spec.template.spec"
KNATIVE_BREAKS: dict[str, Callable[[], Doc]] = {
    "a misspelt field": lambda: _set(_doc("base/reserve.yaml"), f"{SPEC}.containerConcurency", 8),
    "a string for a number": lambda: _set(
        _doc("base/reserve.yaml"), f"{SPEC}.containerConcurrency", "8"
    ),
    "a name that is no DNS label": lambda: _set(
        _doc("base/reserve.yaml"), "metadata.name", "Reserve_Fn"
    ),
    "an unknown version": lambda: _set(
        _doc("base/reserve.yaml"), "apiVersion", "serving.knative.dev/v2"
    ),
    "a wrong kind at a known version": lambda: _set(
        _doc("base/settle-schedule.yaml"), "kind", "PingSorce"
    ),
    "a PingSource schedule that is a number": lambda: _set(
        _doc("base/settle-schedule.yaml"), "spec.schedule", 5
    ),
    "a PingSource sink with a misspelt field": lambda: _set(
        _doc("base/settle-schedule.yaml"), "spec.sink.ref.nmae", "settle"
    ),
}


KNATIVE_BREAKS["a number for an annotation"] = lambda: _max_scale(_doc("base/reserve.yaml"), 3)


@pytest.mark.parametrize("broken", KNATIVE_BREAKS.values(), ids=KNATIVE_BREAKS.keys())
def test_the_knative_schemas_refuse_a_broken_manifest(
    broken: Callable[[], Doc], schemas: dict[tuple[str, str], Doc]
) -> None:
    with pytest.raises(Invalid):
        validate.validate_knative([broken()], schemas)


def test_a_broken_manifest_file_fails_among_good_ones(
    tmp_path: Path, schemas: dict[tuple[str, str], Doc]
) -> None:
    text = (KNATIVE / "base" / "reserve.yaml").read_text()
    broken = tmp_path / "reserve.yaml"
    broken.write_text(text.replace("containerConcurrency: 8", "containerConcurrency: eight"))
    docs = [*validate.load_docs(KNATIVE / "base" / "auth.yaml"), *validate.load_docs(broken)]
    with pytest.raises(Invalid, match="reserve"):
        validate.validate_docs(docs, schemas)


@pytest.fixture
def knative_copy(tmp_path: Path) -> Path:
    """A copy of knative/ to break."""
    copied = tmp_path / "knative"
    shutil.copytree(KNATIVE, copied)
    return copied


def test_rendering_fails_on_a_missing_resource(knative_copy: Path) -> None:
    (knative_copy / "base" / "cancel.yaml").unlink()
    with pytest.raises(Invalid, match=r"cancel\.yaml"):
        validate.render(knative_copy / "overlays" / "production")


def test_a_rendered_overlay_with_a_bad_patch_fails_validation(
    knative_copy: Path, schemas: dict[tuple[str, str], Doc]
) -> None:
    patch = knative_copy / "overlays" / "staging" / "broken.yaml"
    patch.write_text(
        "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: reserve\n"
        "spec:\n  template:\n    spec:\n      timeoutSeconds: soon\n"
    )
    kustomization = knative_copy / "overlays" / "staging" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text() + "  - path: broken.yaml\n")
    with pytest.raises(Invalid, match="timeoutSeconds"):
        validate.validate_docs(validate.render(kustomization.parent), schemas)


def _rendered(rendered: dict[str, list[Doc]], name: str = "overlays/production") -> list[Doc]:
    return copy.deepcopy(rendered[name])


def _find(docs: list[Doc], kind: str, name: str) -> Doc:
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)


def _container(doc: Doc) -> dict[str, Any]:
    container: dict[str, Any] = doc["spec"]["template"]["spec"]["containers"][0]
    return container


def _annotations(doc: Doc) -> dict[str, str]:
    annotations: dict[str, str] = doc["spec"]["template"]["metadata"]["annotations"]
    return annotations


def _web_config(docs: list[Doc]) -> dict[str, Any]:
    config: dict[str, Any] = json.loads(
        _find(docs, "ConfigMap", "parkshare-web")["data"]["config.json"]
    )
    return config


def _without_function(docs: list[Doc]) -> None:
    docs.remove(_find(docs, "Service", "cancel"))


def _no_readiness(docs: list[Doc]) -> None:
    _container(_find(docs, "Service", "reserve")).pop("readinessProbe")


def _wrong_target(docs: list[Doc]) -> None:
    for entry in _container(_find(docs, "Service", "add-spot"))["env"]:
        if entry["name"] == "FUNCTION_TARGET":
            entry["value"] = "add-spot"


def _public_settle(docs: list[Doc]) -> None:
    _find(docs, "Service", "settle")["metadata"]["labels"].pop("networking.knative.dev/visibility")


def _no_schedule(docs: list[Doc]) -> None:
    docs.remove(_find(docs, "PingSource", "settle-schedule"))


def _relay_scales_to_zero(docs: list[Doc]) -> None:
    _annotations(_find(docs, "Service", "relay"))["autoscaling.knative.dev/min-scale"] = "0"


def _over_budget(docs: list[Doc]) -> None:
    _annotations(_find(docs, "Service", "reserve"))["autoscaling.knative.dev/max-scale"] = "40"


def _small_pool(docs: list[Doc]) -> None:
    _find(docs, "ConfigMap", "parkshare-config")["data"]["PARKSHARE_DB_POOL_MAX"] = "4"


def _migrator_in_a_function(docs: list[Doc]) -> None:
    _container(_find(docs, "Service", "me"))["envFrom"].append(
        {"secretRef": {"name": "parkshare-migrator"}}
    )


def _unknown_command(docs: list[Doc]) -> None:
    _container(_find(docs, "Deployment", "worker"))["args"] = ["work"]


def _placeholder_image(docs: list[Doc]) -> None:
    _container(_find(docs, "Service", "me"))["image"] = "parkshare"


def _config_missing_a_function(docs: list[Doc]) -> None:
    config = _web_config(docs)
    config["functions"].pop("graphql")
    _find(docs, "ConfigMap", "parkshare-web")["data"]["config.json"] = json.dumps(config)


def _plain_http_relay(docs: list[Doc]) -> None:
    config = _web_config(docs)
    config["relay"] = "ws://relay.parkshare.example.com/ws"
    _find(docs, "ConfigMap", "parkshare-web")["data"]["config.json"] = json.dumps(config)


def _runs_as_root(docs: list[Doc]) -> None:
    _container(_find(docs, "Service", "auth"))["securityContext"]["runAsNonRoot"] = False


def _no_memory_limit(docs: list[Doc]) -> None:
    _container(_find(docs, "Service", "list-spots"))["resources"].pop("limits")


def _unknown_secret(docs: list[Doc]) -> None:
    _container(_find(docs, "Deployment", "worker"))["envFrom"][1]["secretRef"]["name"] = "parkshare"


POLICY_BREAKS: dict[str, tuple[Callable[[list[Doc]], None], str]] = {
    "a function without its Service": (
        _without_function,
        "no Knative Service for the function cancel",
    ),
    "a function without readiness": (_no_readiness, "reserve: readinessProbe"),
    "a function serving another target": (_wrong_target, "FUNCTION_TARGET must be add_spot"),
    "settle reachable from outside": (_public_settle, "settle must be cluster-local"),
    "no settlement schedule": (_no_schedule, "PingSource"),
    "a relay scaling to zero": (_relay_scales_to_zero, "at least one instance"),
    "more connections than PostgreSQL takes": (_over_budget, "over the budget"),
    "a pool smaller than the concurrency": (_small_pool, "smaller than containerConcurrency"),
    "the migrator's credentials in a function": (_migrator_in_a_function, "only the migration Job"),
    "a command the CLI lacks": (_unknown_command, "`parkshare work` is not a command"),
    "an overlay without a registry image": (_placeholder_image, "registry image and tag"),
    "config.json missing a function": (_config_missing_a_function, "functions must be exactly"),
    "config.json with an unencrypted relay": (_plain_http_relay, "relay must be wss"),
    "a container running as root": (_runs_as_root, "non-root"),
    "a container without a memory limit": (_no_memory_limit, "memory limit"),
    "a Secret nobody documents": (_unknown_secret, "not in knative/secrets.example.yaml"),
}


@pytest.mark.parametrize("break_it, message", POLICY_BREAKS.values(), ids=POLICY_BREAKS.keys())
def test_the_rules_refuse_a_broken_deployment(
    break_it: Callable[[list[Doc]], None], message: str, rendered: dict[str, list[Doc]]
) -> None:
    docs = _rendered(rendered)
    policy.check(copy.deepcopy(docs), overlay="production")  # whole, it keeps the rules
    break_it(docs)
    with pytest.raises(Invalid, match=re.escape(message)):
        policy.check(docs, overlay="production")


def _workflow(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "broken.yml"
    path.write_text(text)
    return path


def test_actionlint_refuses_a_broken_workflow(tmp_path: Path) -> None:
    # A job that needs a job nobody defined, and an expression on an unknown context.
    broken = _workflow(
        tmp_path,
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    needs: build\n"
        "    steps:\n      - run: echo ${{ secret.TOKEN }}\n",
    )
    with pytest.raises(Invalid, match="build"):
        validate.actionlint([broken])


def test_actionlint_lints_run_scripts_with_shellcheck(tmp_path: Path) -> None:
    broken = _workflow(
        tmp_path,
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: for f in $(ls *.yml); do cat $f; done\n",
    )
    with pytest.raises(Invalid, match="shellcheck"):
        validate.actionlint([broken])


def test_the_workflow_schema_refuses_a_broken_workflow(tmp_path: Path) -> None:
    broken = _workflow(tmp_path, "on: push\njobs:\n  test:\n    steps:\n      - run: true\n")
    with pytest.raises(Invalid, match="runs-on"):
        validate.workflow_schema([broken])


def test_hadolint_refuses_a_broken_dockerfile(tmp_path: Path) -> None:
    broken = tmp_path / "Dockerfile"
    broken.write_text("FROM python:latest\nRUN cd /app && pip install flask\n")
    with pytest.raises(Invalid, match=r"DL3007|DL3003|DL3013"):
        validate.hadolint(broken)


def test_yaml_without_kind_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump({"apiVersion": "v1", "metadata": {"name": "x"}}))
    with pytest.raises(Invalid, match="apiVersion and kind"):
        validate.load_docs(broken)
