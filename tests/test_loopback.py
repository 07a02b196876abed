"""The tests' loopback HTTP server (tests/loopback.py) answers and records as documented."""

import httpx
import pytest

from tests.loopback import Loopback, Reply, Request

pytestmark = pytest.mark.pure


def echo(request: Request) -> Reply:
    return Reply(201, {"method": request.method, "query": request.query}, {"X-Route": request.route})


def test_a_routes_table_prefers_method_and_path_then_path_and_answers_404_to_the_rest():
    routes = {"POST /hook": Reply(202, "posted"), "/hook": Reply(200, b"any"), "/echo": echo}
    with Loopback(routes) as server, httpx.Client(base_url=server.url, trust_env=False) as client:
        posted, got = client.post("/hook", content=b"{}"), client.get("/hook?x=1")
        echoed, missing = client.get("/echo?lang=uk"), client.delete("/nowhere")

    assert (posted.status_code, posted.text, posted.headers["content-type"]) == (
        202, "posted", "text/plain; charset=utf-8")
    assert (got.status_code, got.content, "content-type" in got.headers) == (200, b"any", False)
    assert (echoed.status_code, echoed.json(), echoed.headers["x-route"]) == (
        201, {"method": "GET", "query": {"lang": ["uk"]}}, "/echo")
    assert echoed.headers["content-type"] == "application/json"
    assert missing.status_code == 404


def test_it_records_every_request_with_lower_cased_headers_and_its_body_in_order():
    with Loopback(lambda request: Reply(204)) as server:
        httpx.post(server.url + "/a?b=1", json={"k": "v"}, headers={"X-Token": "t"}, trust_env=False)
        httpx.get(server.url + "/c", trust_env=False)

    first, second = server.requests
    assert (first.method, first.path, first.route, first.body) == ("POST", "/a?b=1", "/a", b'{"k":"v"}')
    assert first.headers["x-token"] == "t" and "X-Token" not in first.headers
    assert (second.method, second.path, second.body) == ("GET", "/c", b"")
    assert first.at <= second.at and server.in_flight == 0


def test_repeated_header_names_are_all_sent():
    cookies = [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]
    with Loopback(lambda request: Reply(200, b"", cookies)) as server:
        response = httpx.get(server.url, trust_env=False)

    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
