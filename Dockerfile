# syntax=docker/dockerfile:1.7
# The image every ECS flow run starts from: the project and its locked dependencies, run as a
# non-root user; the entrypoint migrates the database, then runs the command the ECS worker
# gives it (`prefect flow-run execute`).
#
#   docker build -t oddscore:latest .
#   docker run --rm -e DATABASE_URL=... oddscore:latest odds --help

FROM python:3.11-slim

# uv from its official image: https://docs.astral.sh/uv/guides/integration/docker/
COPY --from=ghcr.io/astral-sh/uv:0.13 /uv /uvx /bin/

# Compile bytecode at build (faster cold starts), copy instead of hard-linking from the cache
# mount, and use the image's Python: https://docs.astral.sh/uv/guides/integration/docker/#compiling-bytecode
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    PYTHONUNBUFFERED=1

WORKDIR /app

# Optional extras, e.g. --build-arg UV_EXTRAS="--extra ml" for the XGBoost backtests.
ARG UV_EXTRAS=""

# Dependencies first, from the lock file only, so code changes do not reinstall them:
# https://docs.astral.sh/uv/guides/integration/docker/#intermediate-layers
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --frozen --no-install-project --no-dev ${UV_EXTRAS}

# Then the project itself (oddscore, flows, migrations, prefect.yaml).
COPY . /app
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev ${UV_EXTRAS} \
    && /app/.venv/bin/python -m compileall -q /app/oddscore /app/flows
# ^ the project is installed editable, so UV_COMPILE_BYTECODE leaves its own modules alone, and
# the non-root user below cannot write their bytecode: without this every cold `odds` process
# would compile them.

RUN useradd --system --create-home --uid 10001 odds \
    && chmod 0755 /app/scripts/docker-entrypoint
USER odds

ENV PATH="/app/.venv/bin:$PATH" \
    PREFECT_HOME=/home/odds/.prefect \
    PREFECT_LOGGING_EXTRA_LOGGERS=oddscore \
    DATABASE_NULL_POOL=true

ENTRYPOINT ["/app/scripts/docker-entrypoint"]
CMD ["prefect", "flow-run", "execute"]
