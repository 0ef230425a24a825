# The image docker-compose.yml runs: the runtime packages only (requirements.txt, every hash
# checked), the static files collected at build time, and an unprivileged user.

FROM python:3.11-slim AS build
# The compiler is for a package without a wheel for the build platform; it stays in this stage.
RUN apt-get update && apt-get install -y --no-install-recommends gcc nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt ./
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check --require-hashes -r requirements.txt
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
# The settings need a key and URLs to load; collectstatic connects to nothing.
RUN DJANGO_SETTINGS_MODULE=phonix.settings.production DJANGO_SECRET_KEY=collectstatic-only \
    DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
    /opt/venv/bin/python manage.py collectstatic --no-input --verbosity 0

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 phonix
COPY --from=build /opt/venv /opt/venv
# Owned by root: the processes read the code and static files, they never write them.
COPY --from=build /app /app
WORKDIR /app
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=phonix.settings.production
USER phonix
EXPOSE 8000
CMD ["gunicorn", "phonix.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
