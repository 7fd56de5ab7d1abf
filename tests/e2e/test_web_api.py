"""The JSON API over real HTTP: personal tokens (made and revoked in the page, shown once, stored
hashed), items, people and reports, every action with If-Match (409 on a stale version, four eyes
kept), errors as JSON with the command line's Chinese reason; and schemathesis over the OpenAPI
document (bounded: a few dozen examples per operation) with no 5xx and responses matching the schema."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from tests.conftest import APPROVER, HANDLER, OFFICE
from tests.web_fixtures import PASSWORD, Server, csrf_of, login, serve
from workflow import clock, db
from workflow.accounts import passwords
from workflow.db.tables.web import TOKEN
from workflow.items import people

BOTH = "规划办兼验收"  # handler and approver at once: four eyes must still hold


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    for s in serve(tmp_path_factory.mktemp("web-api")):
        at = clock.parse_moment("2024-10-14T17:00")
        with db.unit_of_work(s.engine) as conn:
            people.add_person(
                conn, OFFICE, at, name=BOTH, roles="handler,approver", department="村镇规划建设办公室"
            )
            passwords.set_password(conn, BOTH, PASSWORD, at, must_change=False)
        s.tick.set("2024-10-21T10:00")
        yield s


@pytest.fixture(autouse=True)
def _close_clients(server: Server) -> Iterator[None]:
    yield
    server.close_clients()


def token(server: Server, name: str) -> str:
    """A token made in the page, as a person would: shown once on the response."""
    c = login(server, name)
    page = c.get("/account").text
    made = c.post("/account/tokens", data={"csrf": csrf_of(page), "label": "脚本"})
    found = re.search(r'<code id="new-token">([^<]+)</code>', made.text)
    assert made.status_code == 200 and found is not None
    return found.group(1)


def api(server: Server, raw: str | None) -> httpx.Client:
    c = server.client()
    c.base_url = httpx.URL(server.url + "/api/v1")
    if raw:
        c.headers["Authorization"] = f"Bearer {raw}"
    return c


def act(c: httpx.Client, item: int, action: str, version: int | None, **body: Any) -> httpx.Response:
    headers = {"If-Match": str(version)} if version is not None else {}
    return c.post(f"/items/{item}/{action}", json=body, headers=headers)


def test_a_token_is_shown_once_stored_hashed_and_dies_when_revoked(server: Server) -> None:
    raw = token(server, HANDLER)
    c = api(server, raw)
    assert c.get("/items").status_code == 200
    with db.reading(server.engine) as conn:
        stored = conn.execute(
            sa.select(TOKEN.c.token_hash, TOKEN.c.id).where(TOKEN.c.person == HANDLER)
        ).all()
    assert [s.token_hash for s in stored] == [hashlib.sha256(raw.encode()).hexdigest()]
    page = login(server, HANDLER).get("/account")
    assert raw not in page.text  # never shown again
    browser = login(server, HANDLER)
    revoke = browser.post(
        f"/account/tokens/{stored[0].id}/revoke", data={"csrf": csrf_of(browser.get("/account").text)}
    )
    assert revoke.status_code == 303
    r = c.get("/items")
    assert r.status_code == 401 and "令牌" in r.json()["detail"]
    assert api(server, None).get("/items").status_code == 401
    assert api(server, "zg_made-up").get("/people").status_code == 401


def test_actions_through_the_api_keep_four_eyes_and_refuse_stale_versions(server: Server) -> None:
    office, both, county = (api(server, token(server, n)) for n in (OFFICE, BOTH, APPROVER))
    item = office.get("/items/2")
    assert item.status_code == 200 and item.headers["etag"] == "1"
    assert act(office, 2, "assign", None).status_code == 428
    assert act(office, 2, "assign", 1).json()["version"] == 2
    r = act(both, 2, "start", 1)
    assert r.status_code == 409 and "已被他人改动" in r.json()["detail"]
    v = act(both, 2, "start", 2).json()["version"]
    v = act(both, 2, "progress", v, text="已完成撂荒地复耕").json()["version"]
    for m in both.get("/items/2").json()["measures"]:
        v = act(both, 2, "measure_done", v, seq=m["seq"]).json()["version"]
    with db.unit_of_work(server.engine) as conn:  # evidence by reference, as the command line would
        from workflow.items import actions

        actions.attach_evidence(conn, 2, BOTH, server.tick(), kind="批文", ref="获政〔2024〕1号")
    v += 1
    r = act(both, 2, "submit", v, summary="已复耕")
    assert r.status_code == 200, r.text
    v = r.json()["version"]
    own = act(both, 2, "approve", v)
    assert own.status_code in (403, 422) and "提请" in own.json()["detail"]  # four eyes, in words
    assert act(county, 2, "approve", v).json()["to_state"] == "closed"
    assert act(county, 999999, "approve", 1).status_code == 404
    assert act(county, 2, "fly", 1).status_code == 404
    assert county.get("/reports/weekly", params={"as_of": "2024-10-25"}).json()["markdown"]
    assert {p["name"] for p in county.get("/people").json()} >= {OFFICE, HANDLER, APPROVER}


def test_the_api_answers_every_generated_request_without_a_server_error(server: Server) -> None:
    """Schemathesis's cases for every operation of the document, sent over HTTP with a live token
    (and, for a share of them, without one): never a 5xx, every answer as the document says."""
    raw = token(server, OFFICE)
    document = httpx.get(server.url + "/api/v1/openapi.json").json()
    schema = schemathesis.openapi.from_dict(document)
    base = server.url + "/api/v1"
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an Err (a broken document) raises here
        # An upload's bytes must match its name's type, which a schema cannot say: a schema-valid
        # upload may rightly be refused (422), or lack the If-Match it needs (428).
        excluded = [positive_data_acceptance] if operation.path.endswith("/evidence") else []

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: Any) -> None:
            response = case.call(base_url=base, headers={"Authorization": f"Bearer {raw}"})
            assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
            case.validate_response(response, excluded_checks=excluded)  # noqa: B023  # run() runs at once

        run()
