# A slim, non-root image: migrates the database, then serves.
#   docker build -t invest-kainuu .
#   docker run -e DATABASE_URL=postgresql+psycopg://... -e SECRET_KEY=... \
#              -e ENVIRONMENT=production -p 8000:8000 invest-kainuu
# compose.yaml runs it as every process of the production layout (see the README).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 ENVIRONMENT=production

# Pango and a font for the forum report PDF (WeasyPrint), and HarfBuzz's subsetter, with
# which WeasyPrint cuts the embedded fonts down in C (fontTools, its fallback, took half
# a second per 100k-lead forum PDF); pg_dump and pg_restore for `invest-kainuu backup`
# / `restore` (Debian's client: its major version or older servers).
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
        postgresql-client \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 app
WORKDIR /srv/invest-kainuu

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY portal_templates ./portal_templates
RUN pip install -e . && mkdir -p var/storage && chown -R app:app var

USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
# `migrate` takes a PostgreSQL advisory lock: replicas starting together migrate in turn.
CMD ["sh", "-c", "invest-kainuu migrate && exec invest-kainuu serve --host 0.0.0.0 --port 8000 --workers ${WEB_WORKERS:-2}"]
