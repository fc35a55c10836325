"""With RATELIMIT_STORAGE_URI pointing at Redis, limits hold across workers (two app instances)."""

import os
import socket
import uuid

import pytest

from tests.conftest import Auth, app_config

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379")
def test_login_limit_is_shared_between_workers(
    app, database_url, tmp_path, make_user, plan, another_app
):
    user = make_user("citizen")
    config = {
        **app_config(database_url, tmp_path),
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        # A fresh key prefix per run, so runs never see each other's counters.
        "RATELIMIT_KEY_PREFIX": f"sankaku-test-{uuid.uuid4().hex[:8]}",
    }
    worker_a = Auth(another_app(config).test_client())
    worker_b = Auth(another_app(config).test_client())
    statuses = []
    for i in range(11):
        worker = worker_a if i % 2 else worker_b
        statuses.append(worker.login(user.email, "wrong password!").status_code)
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
