"""/healthz answers 200 when the database and Redis answer, 503 naming the failure otherwise."""

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_is_200_when_database_and_redis_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True


def test_healthz_is_503_without_redis_and_never_shows_its_password(client, settings):
    # Port 1 on loopback refuses connections: Redis is "down".
    settings.REDIS_URL = "redis://:s3cret-redis-pw@127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    redis_check = body["checks"]["redis"]
    assert redis_check == {"ok": False, "error": "ConnectionError", "ms": redis_check["ms"]}
    assert "s3cret-redis-pw" not in response.content.decode()


def test_healthz_needs_no_login(client):
    assert client.get("/healthz").status_code == 200
