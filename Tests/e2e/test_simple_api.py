"""The simple API at the HTTP level: PEP 691 negotiation, ETag/304, redirects, links."""

from urllib.parse import quote, urljoin

import pytest

from whclient import HTML_TYPE, JSON_TYPE, PIP_ACCEPT, UV_ACCEPT, parse_anchors, request
from whmultipart import upload
from whpackages import sha256_file


@pytest.fixture(scope="module")
def srepo(server, alpha10, beta10, gamma01):
    name = server.new_repo("simple")
    for f in alpha10.files + beta10.files + gamma01.files:
        r = upload(server.url, name, f, server.admin_token)
        assert r.status == 200, str(r)
    return name


def page(server, repo, project=None):
    return f"{server.url}/{repo}/simple/" + (f"{project}/" if project else "")


PROJECT_PAGES = [None, "whalpha"]  # the index and a project page


@pytest.mark.parametrize("project", PROJECT_PAGES)
@pytest.mark.parametrize("accept, expected", [
    (PIP_ACCEPT, JSON_TYPE),
    (UV_ACCEPT, JSON_TYPE),
    (None, "text/html"),                                 # no Accept: HTML, as the public index answers curl
    ("*/*", "text/html"),
    ("application/vnd.pypi.simple.latest+json", JSON_TYPE),
    ("application/vnd.pypi.simple.v1+json", JSON_TYPE),
    ("text/html", "text/html"),
    (HTML_TYPE, HTML_TYPE),
    ("application/vnd.pypi.simple.latest+html", HTML_TYPE),
    ("text/html, application/vnd.pypi.simple.v1+json; q=0.5", "text/html"),   # q decides, not order
    ("application/vnd.pypi.simple.v1+json; q=0.5, text/html", "text/html"),
    ("text/html;q=0.5, application/vnd.pypi.simple.v1+json;q=0.5", "text/html"),  # a tie goes to HTML
    ("*/*;q=0.5, application/vnd.pypi.simple.v1+json", JSON_TYPE),               # ranked strictly above
])
def test_negotiation(server, srepo, project, accept, expected):
    headers = {} if accept is None else {"Accept": accept}
    r = request("GET", page(server, srepo, project), headers=headers)
    assert r.status == 200, str(r)
    assert r.content_type == expected, f"Accept {accept!r}: {r}"
    assert "accept" in (r.header("Vary") or "").lower(), str(r)
    if expected == JSON_TYPE:
        body = r.json()
        assert "meta" in body and ("files" in body if project else "projects" in body)
    else:
        assert parse_anchors(r.text), r.text


@pytest.mark.parametrize("project", PROJECT_PAGES)
@pytest.mark.parametrize("accept", ["application/json", "text/plain", "image/png",
                                    "application/vnd.pypi.simple.v2+json"])
def test_nothing_acceptable_is_406(server, srepo, project, accept):
    r = request("GET", page(server, srepo, project), headers={"Accept": accept})
    assert r.status == 406, f"Accept {accept!r}: {r}"


@pytest.mark.parametrize("fmt, expected", [
    (JSON_TYPE, JSON_TYPE), (HTML_TYPE, HTML_TYPE), ("text/html", "text/html"),
])
def test_format_query_overrides_accept(server, srepo, fmt, expected):
    url = page(server, srepo, "whalpha") + "?format=" + quote(fmt, safe="/")   # `+` as %2B
    r = request("GET", url, headers={"Accept": "text/html" if expected == JSON_TYPE else JSON_TYPE})
    assert r.status == 200 and r.content_type == expected, str(r)


def test_index_lists_projects_and_links_resolve(server, srepo):
    r = request("GET", page(server, srepo), headers={"Accept": JSON_TYPE})
    names = sorted(p["name"] for p in r.json()["projects"])
    normalized = sorted(n.lower().replace(".", "-").replace("_", "-") for n in names)
    assert normalized == ["wh-gamma-pkg", "whalpha", "whbeta"], names

    html = request("GET", page(server, srepo), headers={"Accept": "text/html"})
    anchors = parse_anchors(html.text)
    assert len(anchors) == 3, html.text
    for a in anchors:
        target = urljoin(page(server, srepo), a["href"])
        t = request("GET", target, headers={"Accept": "text/html"})
        assert t.status == 200, f"index link {a['href']!r} -> {t}"


def test_project_page_links(server, srepo, alpha10):
    url = page(server, srepo, "whalpha")
    r = request("GET", url, headers={"Accept": "text/html"})
    anchors = {a["_text"].strip(): a for a in parse_anchors(r.text)}
    assert sorted(anchors) == sorted(p.name for p in alpha10.files), r.text
    for p in alpha10.files:
        href = urljoin(url, anchors[p.name]["href"])
        assert href.endswith("#sha256=" + sha256_file(p))
        f = request("GET", href.split("#")[0])
        assert f.status == 200 and f.body == p.read_bytes(), str(f)


def test_json_project_page(server, srepo, gamma01):
    r = request("GET", page(server, srepo, "wh-gamma-pkg"), headers={"Accept": JSON_TYPE})
    assert r.status == 200, str(r)
    body = r.json()
    assert body["name"] == "wh-gamma-pkg", "PEP 691: the project name, normalized"
    assert body["versions"] == ["0.1"]
    assert sorted(f["filename"] for f in body["files"]) == sorted(p.name for p in gamma01.files)


def test_unknown_project_and_repository_are_404(server, srepo):
    assert request("GET", page(server, srepo, "nothere")).status == 404
    # Anonymous clients get the 401 of a private repository: the answer does not tell what exists.
    assert request("GET", page(server, "no-such-repo")).status == 401
    assert request("GET", page(server, "no-such-repo", "whalpha")).status == 401
    auth = {"Authorization": f"Bearer {server.admin_token}"}
    assert request("GET", page(server, "no-such-repo"), headers=auth).status == 404
    assert request("GET", page(server, "no-such-repo", "whalpha"), headers=auth).status == 404


@pytest.mark.parametrize("accept", [JSON_TYPE, "text/html"])
@pytest.mark.parametrize("project", PROJECT_PAGES)
def test_etag_and_304(server, srepo, project, accept):
    url = page(server, srepo, project)
    r = request("GET", url, headers={"Accept": accept})
    etag = r.header("ETag")
    assert r.status == 200 and etag, str(r)
    again = request("GET", url, headers={"Accept": accept, "If-None-Match": etag})
    assert again.status == 304, str(again)
    assert again.body == b""
    assert again.header("ETag") == etag
    assert "accept" in (again.header("Vary") or "").lower(), str(again)
    listed = request("GET", url, headers={"Accept": accept, "If-None-Match": f'"nope", {etag}'})
    assert listed.status == 304, str(listed)
    other = request("GET", url, headers={"Accept": accept, "If-None-Match": '"something-else"'})
    assert other.status == 200, str(other)


def test_etag_differs_between_representations(server, srepo):
    url = page(server, srepo, "whalpha")
    js = request("GET", url, headers={"Accept": JSON_TYPE})
    html = request("GET", url, headers={"Accept": "text/html", "If-None-Match": js.header("ETag")})
    assert html.status == 200, "the JSON page's ETag must not validate the HTML page:\n" + str(html)


def test_upload_changes_the_etag(server, alpha10, alpha11, beta10):
    repo = server.new_repo("etag")
    assert upload(server.url, repo, alpha10.wheel, server.admin_token).status == 200
    project_url, index_url = page(server, repo, "whalpha"), page(server, repo)
    etags = {u: request("GET", u, headers={"Accept": JSON_TYPE}).header("ETag") for u in (project_url, index_url)}
    assert all(etags.values()), f"simple pages need an ETag: {etags}"

    assert upload(server.url, repo, alpha11.wheel, server.admin_token).status == 200   # a new file
    r = request("GET", project_url, headers={"Accept": JSON_TYPE, "If-None-Match": etags[project_url]})
    assert r.status == 200 and r.header("ETag") != etags[project_url], str(r)
    assert "1.1" in r.json()["versions"]

    assert upload(server.url, repo, beta10.wheel, server.admin_token).status == 200    # a new project
    r = request("GET", index_url, headers={"Accept": JSON_TYPE, "If-None-Match": etags[index_url]})
    assert r.status == 200 and r.header("ETag") != etags[index_url], str(r)


def assert_redirect(server, path, canonical_path):
    r = request("GET", server.url + path)
    assert r.status in (301, 308), f"GET {path}: {r}"
    target = urljoin(server.url + path, r.header("Location"))
    hops = 1
    while target != server.url + canonical_path and hops < 2:   # allow one more hop (slash, then name)
        r = request("GET", target)
        assert r.status in (301, 308), f"GET {target}: {r}"
        target = urljoin(target, r.header("Location"))
        hops += 1
    assert target == server.url + canonical_path, f"GET {path} ends at {target}"
    assert request("GET", target).status == 200


def test_redirects(server, srepo):
    assert_redirect(server, f"/{srepo}/simple", f"/{srepo}/simple/")
    assert_redirect(server, f"/{srepo}/simple/whalpha", f"/{srepo}/simple/whalpha/")
    assert_redirect(server, f"/{srepo}/simple/WhAlpha/", f"/{srepo}/simple/whalpha/")
    assert_redirect(server, f"/{srepo}/simple/Wh.Gamma_Pkg/", f"/{srepo}/simple/wh-gamma-pkg/")
    assert_redirect(server, f"/{srepo}/simple/wh__gamma--pkg/", f"/{srepo}/simple/wh-gamma-pkg/")
    assert_redirect(server, f"/{srepo}/simple/Wh.Gamma_Pkg", f"/{srepo}/simple/wh-gamma-pkg/")

