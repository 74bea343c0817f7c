# syntax=docker/dockerfile:1
# The CRM image: web (gunicorn), Celery worker and beat all run from it (see docker-compose.yml).

# --- front-end packages (package.json -> node_modules, served as static files) ------------
FROM node:22-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error


# --- Python dependencies, static files, translations --------------------------------------
FROM python:3.13-slim AS build
ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# gettext for compilemessages.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /app
# The project's metadata and packages first, so the dependency layer is cached.
COPY pyproject.toml README.md ./
COPY crm ./crm
COPY contacts ./contacts
COPY deals ./deals
COPY pipelines ./pipelines
COPY reports ./reports
COPY integrations ./integrations
COPY invoices ./invoices
COPY automation ./automation
RUN pip install --upgrade pip && pip install . && rm -rf build ./*.egg-info

COPY manage.py ./
COPY templates ./templates
COPY static ./static
# locale/ may not exist yet (git keeps no empty folder); a wildcard that matches nothing is
# not an error with BuildKit.
COPY locale* ./locale/
RUN mkdir -p locale
COPY --from=assets /app/node_modules ./node_modules

# The code runs from /app (BASE_DIR finds templates/, static/, locale/ beside it), not from
# the copy pip put in site-packages.
ENV PYTHONPATH=/app
# Static files with hashed names into STATIC_ROOT (var/staticfiles/), as production serves
# them (whitenoise). The key is for this build step only; the container gets the real one.
RUN if find locale -name '*.po' | grep -q .; then python manage.py compilemessages; fi \
 && CRM_ENV=production SECRET_KEY=collectstatic-only-not-a-secret \
    python manage.py collectstatic --no-input -v 0


# --- the runtime image -------------------------------------------------------------------
FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PATH=/opt/venv/bin:$PATH \
    CRM_ENV=production
# curl for the health check.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 crm \
 && useradd --system --uid 10001 --gid crm --home-dir /app --no-create-home crm

COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
# var/: static files (read-only), media and the beat schedule (written at run time).
RUN mkdir -p /app/var/media && chown -R crm:crm /app/var

WORKDIR /app
USER crm
EXPOSE 8000
CMD ["gunicorn", "crm.wsgi", "--bind", "0.0.0.0:8000", "--threads", "4", "--keep-alive", "75", "--access-logfile", "-"]
