# parkshare's entry points. `./just` bootstraps .venv first; inside it, plain `just` works.

set dotenv-load := false

# list the recipes
default:
    @just --list --unsorted

# the whole product on one machine (embedded servers unless DATABASE_URL/REDIS_URL are set)
dev: web
    parkshare dev

# every test: the web app's unit tests, then pytest against real PostgreSQL and Redis
# (the end-to-end tests in real Chromium included; extra arguments go to pytest)
test *args: web
    cd web && npm test --silent
    pytest -q {{args}}

# the web app's screens in light and dark at phone and desktop sizes, into test-artifacts/
screenshots *args: web
    pytest -q -m screenshots tests/web {{args}}

# what depends on PostgreSQL and Redis (SQL, functions, live, GraphQL, the CLI, the processes),
# without the browser, the fuzzer or the offline manifest checks: CI's embedded-default pass
test-backend *args:
    pytest -q --ignore=tests/web --ignore=tests/gateway/test_fuzz.py --ignore=tests/deploy/test_validation.py --ignore=tests/deploy/test_dockerfile.py {{args}}

# the web app's packages, installed from the lock file when it has changed
web-deps:
    #!/usr/bin/env bash
    set -euo pipefail
    cd web
    command -v npm >/dev/null || { echo "the web app needs Node.js 20 and npm" >&2; exit 1; }
    if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
        npm ci --no-audit --no-fund --loglevel=error
    fi

# build the web app into web/dist (served by the gateway at /) and check its size budget
web: web-deps
    #!/usr/bin/env bash
    set -euo pipefail
    cd web
    # Built already from these very sources: nothing to do (CI builds once, then runs its two
    # test passes side by side, and one must not rebuild web/dist under the other).
    sources="$(find index.html package-lock.json vite.config.ts tsconfig.json src public scripts -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)"
    stamp=node_modules/.parkshare-dist-sources
    if [ -f dist/index.html ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sources" ]; then
        echo "web/dist is up to date"
        exit 0
    fi
    rm -f "$stamp"
    npm run build --silent
    npm run size --silent
    echo "$sources" > "$stamp"

# ruff, the formatter check, mypy, the generated schemas, the web app's types and ESLint/Prettier
lint: web-deps
    ruff check .
    ruff format --check .
    mypy shared tests
    # Every function is its own main.py: mypy needs one run per file to tell them apart.
    for f in functions/*/main.py; do mypy --follow-imports=silent "$f" || exit 1; done
    # The package's layers (.importlinter): an import against them or a cycle fails.
    lint-imports --no-cache
    # The schema the web app and integrations build against must be the one served.
    parkshare graphql-schema --check
    # Likewise the OpenAPI document, and the web app's types generated from it.
    parkshare openapi --check
    cd web && npm run api:check --silent
    # What sql/ builds must be the checked-in sql/schema.sql (a scratch database).
    parkshare schema --check
    cd web && npm run typecheck --silent
    # ESLint, then Prettier's check (`npm run format` in web/ writes what it would change).
    cd web && npm run lint --silent

# format the code
fmt:
    ruff format .
    ruff check --fix .

# write sql/schema.sql from a scratch database built from sql/ (CI fails when it has drifted)
schema:
    parkshare schema

# write the GraphQL schema to web/schema.graphql (CI fails when it has drifted)
graphql-schema:
    parkshare graphql-schema

# write the OpenAPI document to web/openapi.json and the web app's types generated from it
openapi: web-deps
    parkshare openapi
    cd web && npm run api --silent

# apply pending migrations
migrate:
    parkshare migrate

# the demo building (idempotent)
seed-demo:
    parkshare seed-demo

# the reserve procedure called directly: the baseline for HTTP benchmarks
bench-sql *args:
    python -m tests.bench.bench_sql {{args}}

# the embedded default, from nothing, twice: the second run must change nothing
smoke-embedded:
    #!/usr/bin/env bash
    set -euo pipefail
    unset DATABASE_URL REDIS_URL PARKSHARE_APP_DATABASE_URL
    export PARKSHARE_DATA_DIR="$(mktemp -d)/data"
    parkshare migrate
    parkshare seed-demo
    second_migrate="$(parkshare migrate)"
    second_seed="$(parkshare seed-demo)"
    echo "$second_migrate"; echo "$second_seed"
    grep -q "up to date" <<<"$second_migrate" || { echo "second migrate applied something" >&2; exit 1; }
    grep -qi "already" <<<"$second_seed" || { echo "second seed-demo was not a no-op" >&2; exit 1; }
    rm -rf "$(dirname "$PARKSHARE_DATA_DIR")"
    echo "embedded default: ok"

# reserve over HTTP through the gateway, beside the direct-SQL figure of the same run
bench *args:
    python -m tests.bench.bench_http {{args}}

# events from commit to WebSocket clients: click to screen, and fan-out to 1,000 and 5,000
bench-live *args:
    python -m tests.bench.bench_live {{args}}

# a real building's year: the garage view, GraphQL's screen query and `me` at 500 spots x 200,000 bookings (x10 buildings)
bench-scale *args:
    python -m tests.bench.bench_scale {{args}}

# Offline: manifests and overlays against the Kubernetes and Knative schemas and our rules,
# the workflows with actionlint and their schema, the Dockerfile with hadolint.
# validate knative/, the workflows and the Dockerfile, offline (tests/deploy runs the same)
validate:
    python -m tests.deploy.validate

# The baseline is a bare uvicorn app started and polled the same way in the same run.
# each function's cold start: process start to first 200 on its own port, with a baseline
bench-coldstart *args:
    python -m tests.bench.bench_coldstart {{args}}
