# One image for web, worker and beat (see compose.yaml). Configured only through the environment.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    STATIC_MANIFEST=true \
    STATIC_ROOT=/app/staticfiles \
    TREMOR_VAR_DIR=/tmp/tremor

WORKDIR /app
# The tested runtime versions, each file checked against its hash; a layer of its own, so a code
# change reuses it.
COPY requirements-prod.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements-prod.lock
COPY pyproject.toml README.md ./
COPY config ./config
COPY reports ./reports
COPY analytics ./analytics
COPY console ./console
RUN pip install --no-cache-dir --no-deps .
COPY . .
# manage.py starts the embedded PostgreSQL when no DATABASE_URL is set; a URL keeps the build
# off it (nothing connects while collecting static files).
RUN DATABASE_URL=postgresql://build@localhost/build SECRET_KEY=build-only \
    python manage.py collectstatic --noinput \
    && useradd --system --uid 1000 tremor \
    && mkdir -p /tmp/tremor && chown tremor /tmp/tremor
USER tremor
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "-c", "config/gunicorn.py"]
