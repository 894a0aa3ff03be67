# One image for every Switchboard process: web, worker, beat, listener, consumer, Flower and the
# FreeSWITCH emulator. docker-compose.yml picks the command; see .env.example for the settings.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=switchboard.settings

WORKDIR /app

# psycopg-binary brings its own libpq; nothing to compile.
COPY requirements.txt .
RUN pip install --require-hashes -r requirements.txt

COPY manage.py pyproject.toml ./
COPY switchboard switchboard
COPY campaigns campaigns
COPY telephony telephony
COPY workers workers

# Static files are collected at build time and served by WhiteNoise from the web process.
RUN DJANGO_SECRET_KEY=build-only-not-secret python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --home-dir /app switchboard \
    && mkdir -p /app/var && chown switchboard /app/var
USER switchboard

EXPOSE 8000
# No HEALTHCHECK here: the image also runs workers and listeners; compose checks the web's /healthz.
CMD ["gunicorn", "-c", "python:switchboard.gunicorn_conf", "switchboard.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", "--access-logfile", "-", "--no-control-socket"]
