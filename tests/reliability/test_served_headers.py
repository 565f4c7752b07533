"""What gunicorn, started as docs/install.md says, sends: no Server header, no stored copy of an API answer, and 413
for a chunked body over MAX_CONTENT_LENGTH."""

import requests


def test_gunicorn_names_no_server_and_refuses_a_large_chunked_body_with_413(live_stack):
    stack = live_stack(clients=1)
    stack.start_web("gunicorn", workers=1)
    auth = {"Authorization": f"Bearer {stack.tokens[0]}"}
    for response in (
        requests.get(f"{stack.url}/api/v1/openapi.json", timeout=10),
        requests.get(f"{stack.url}/login", timeout=10),
        requests.get(f"{stack.url}/static/app.css", timeout=10),
        requests.get(f"{stack.url}/api/v1/tasks", headers=auth, timeout=10),
    ):
        assert response.status_code == 200 and "Server" not in response.headers, response.headers
    assert requests.get(f"{stack.url}/api/v1/tasks", headers=auth, timeout=10).headers["Cache-Control"] == "no-store"

    def thirty_megabytes():  # a generator: requests sends it with Transfer-Encoding: chunked
        yield b'{"process": "one_step", "data": {"title": "'
        for _ in range(30):
            yield b"x" * (1024 * 1024)
        yield b'"}}'

    refused = requests.post(
        f"{stack.url}/api/v1/cases",
        data=thirty_megabytes(),
        timeout=60,
        headers={**auth, "Content-Type": "application/json"},
    )
    assert refused.status_code == 413 and refused.json()["error"] == "payload_too_large"
    assert "Server" not in refused.headers
    # the worker goes on serving
    assert requests.get(f"{stack.url}/api/v1/tasks", headers=auth, timeout=10).status_code == 200
