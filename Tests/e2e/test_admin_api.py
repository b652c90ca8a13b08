"""Repositories over the admin REST API, health endpoints, and how tokens are accepted."""

import uuid

import pytest

from whclient import basic, request


def unique(prefix="api"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def assert_json_error(r, status):
    assert r.status == status, str(r)
    assert r.content_type == "application/json", str(r)
    body = r.json()
    assert isinstance(body.get("error"), str) and body["error"].strip(), str(r)


def test_health(server):
    assert request("GET", server.url + "/health/live").status == 200
    assert request("GET", server.url + "/health/ready").status == 200


def test_create_show_list_delete(server):
    name = unique()
    r = server.api.create_repo(name)
    assert r.status == 201, str(r)
    assert r.json()["name"] == name and r.json()["type"] == "local", str(r)

    r = server.api.call("GET", f"/repositories/{name}")
    assert r.status == 200, str(r)
    assert r.json()["name"] == name and r.json()["type"] == "local"

    r = server.api.call("GET", "/repositories")
    assert r.status == 200, str(r)
    assert name in [x["name"] for x in r.json()["repositories"]]

    r = server.api.call("DELETE", f"/repositories/{name}")
    assert r.status == 204, str(r)
    assert_json_error(server.api.call("GET", f"/repositories/{name}"), 404)
    assert name not in [x["name"] for x in server.api.call("GET", "/repositories").json()["repositories"]]
    # Gone: 404 to the admin, 401 to anonymous clients (as for any private or missing repository).
    assert request("GET", f"{server.url}/{name}/simple/", headers={"Authorization": f"Bearer {server.admin_token}"}).status == 404
    assert request("GET", f"{server.url}/{name}/simple/").status == 401


def test_duplicate_is_409(server):
    name = unique()
    assert server.api.create_repo(name).status == 201
    assert_json_error(server.api.create_repo(name), 409)


@pytest.mark.parametrize("name", [
    "Upper", "-lead", ".lead", "_lead", "", "has space", "a/b", "ümlaut",
    "api", "health", "metrics", "ui", "static", "artifactory", "repository", "simple", "files",
])
def test_bad_names_are_400(server, name):
    assert_json_error(server.api.create_repo(name), 400)


def test_good_names(server):
    for name in [unique("a"), "0" + uuid.uuid4().hex[:6], unique("x") + ".y_z-9"]:
        r = server.api.create_repo(name)
        assert r.status == 201, f"{name}: {r}"


def test_unknown_repository_is_404(server):
    assert_json_error(server.api.call("GET", "/repositories/does-not-exist"), 404)
    assert_json_error(server.api.call("DELETE", "/repositories/does-not-exist"), 404)


def test_credentials_required(server):
    name = unique()
    assert_json_error(server.api.create_repo(name, token=None), 401)
    assert_json_error(server.api.create_repo(name, token="not-the-token"), 401)
    assert_json_error(server.api.call("DELETE", "/repositories/x", token=None), 401)
    assert server.api.call("GET", f"/repositories/{name}").status == 404, "nothing may be created"


@pytest.mark.parametrize("user", ["__token__", "admin"])
def test_basic_auth_with_token_as_password(server, user):
    name = unique()
    r = server.api.create_repo(name, token=None, headers=basic(user, server.admin_token))
    assert r.status == 201, str(r)


def test_basic_auth_with_wrong_password(server):
    r = server.api.create_repo(unique(), token=None, headers=basic("__token__", "wrong"))
    assert_json_error(r, 401)
