"""Bad uploads: each gets a 4xx with a clear message, and nothing is stored.

The bodies are built by hand (whmultipart) so that each case breaks exactly one thing of an
otherwise valid upload of whalpha 1.1, which is not in the repository beforehand.
"""

import hashlib
import os
import time

import pytest

from whclient import basic, project_snapshot, request
from whmultipart import encode, post_form, send_truncated, upload
from whpackages import make_wheel, upload_fields


@pytest.fixture(scope="module")
def brepo(server, alpha10):
    name = server.new_repo("bad")
    r = upload(server.url, name, alpha10.wheel, server.admin_token)
    assert r.status == 200, str(r)
    return name


def snapshot(server, repo):
    return project_snapshot(server.url, repo, ["whalpha", "whbeta"]), server.stored_files()


def assert_nothing_stored(server, repo, before):
    pages, files = before
    # Allow a moment for a temporary file to be removed after the answer was sent.
    deadline = time.monotonic() + 3
    while True:
        new = server.stored_files() - files
        if not new or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert not new, f"files left in the data dir: {sorted(new)}"
    assert project_snapshot(server.url, repo, ["whalpha", "whbeta"]) == pages
    assert request("GET", server.url + "/health/ready").status == 200


def assert_rejected(resp, status, *keywords):
    assert resp.status == status, str(resp)
    text = resp.text.lower() + " " + resp.reason.lower()
    assert text.strip(), f"an empty error message: {resp}"
    if keywords:
        assert any(k.lower() in text for k in keywords), f"message should mention one of {keywords}: {resp}"


def form(alpha11, **kw):
    return upload_fields(alpha11.wheel, **kw)


def replace(fields, **values):
    return [(k, values.get(k, v)) for k, v in fields]


# -- one broken thing each --------------------------------------------------------

@pytest.mark.parametrize("field, keyword", [
    ("sha256_digest", "sha256"),
    ("blake2_256_digest", "blake2"),
    ("md5_digest", "md5"),
])
def test_digest_mismatch(server, brepo, alpha11, field, keyword):
    before = snapshot(server, brepo)
    wrong = hashlib.sha256(b"other bytes").hexdigest()[: 32 if field == "md5_digest" else 64]
    resp = upload(server.url, brepo, alpha11.wheel, server.admin_token, overrides={field: wrong})
    assert_rejected(resp, 400, keyword)
    assert_nothing_stored(server, brepo, before)


@pytest.mark.parametrize("field, value", [
    ("name", "whbeta"),
    ("name", "whalpha2"),
    ("version", "9.9"),
    ("version", "1.0"),
])
def test_form_does_not_match_filename(server, brepo, alpha11, field, value):
    before = snapshot(server, brepo)
    resp = upload(server.url, brepo, alpha11.wheel, server.admin_token, overrides={field: value})
    assert_rejected(resp, 400, field)
    assert_nothing_stored(server, brepo, before)


def test_sdist_name_does_not_match(server, brepo, alpha11):
    before = snapshot(server, brepo)
    resp = upload(server.url, brepo, alpha11.sdist, server.admin_token, filename="whbeta-1.1.tar.gz")
    assert_rejected(resp, 400, "name", "filename")
    assert_nothing_stored(server, brepo, before)


@pytest.mark.parametrize("filename", [
    "dir/whalpha-1.1-py3-none-any.whl",
    "/whalpha-1.1-py3-none-any.whl",
    "../whalpha-1.1-py3-none-any.whl",
    "..",
    "..\\whalpha-1.1-py3-none-any.whl",
    b"whalpha-1.1-py3-none-any.whl\x00.txt",
    b"whalpha-1.1\x00-py3-none-any.whl",
    "whalpha-1.1-py3-none-any.exe",
    "whalpha-1.1.txt",
    "whalpha-1.1.tar.xz",
    "whalpha-1.1.egg",
    "whalpha-1.1-py3-none-any",
    "",
], ids=lambda f: repr(f))
def test_bad_filenames(server, brepo, alpha11, filename):
    before = snapshot(server, brepo)
    resp = upload(server.url, brepo, alpha11.wheel, server.admin_token, filename=filename)
    keywords = ["filename", "file name", "extension", "invalid"] + (["content"] if filename == "" else [])
    assert_rejected(resp, 400, *keywords)
    assert_nothing_stored(server, brepo, before)


def test_missing_content(server, brepo, alpha11):
    before = snapshot(server, brepo)
    body, ctype = encode(form(alpha11))
    resp = post_form(f"{server.url}/{brepo}/", body, ctype, server.admin_token)
    assert_rejected(resp, 400, "content")
    assert_nothing_stored(server, brepo, before)


def test_content_not_a_file_part(server, brepo, alpha11):
    # `content` sent as a plain field (no filename): there is no file name to check.
    before = snapshot(server, brepo)
    body, ctype = encode(form(alpha11) + [("content", "not a file")])
    resp = post_form(f"{server.url}/{brepo}/", body, ctype, server.admin_token)
    assert_rejected(resp, 400, "content", "filename")
    assert_nothing_stored(server, brepo, before)


def valid_body(alpha11):
    return encode(form(alpha11), [("content", alpha11.wheel.name, alpha11.wheel.read_bytes())],
                  boundary="wh-e2e-boundary")


@pytest.mark.parametrize("case", ["garbage", "no-boundary-param", "wrong-boundary", "no-closing-boundary",
                                  "no-part-headers", "not-multipart"])
def test_malformed_multipart(server, brepo, alpha11, case):
    before = snapshot(server, brepo)
    body, ctype = valid_body(alpha11)
    if case == "garbage":
        body = os.urandom(4096)
    elif case == "no-boundary-param":
        ctype = "multipart/form-data"
    elif case == "wrong-boundary":
        ctype = "multipart/form-data; boundary=some-other-boundary"
    elif case == "no-closing-boundary":
        body = body[: body.rindex(b"--wh-e2e-boundary--")]
    elif case == "no-part-headers":
        body = b"--wh-e2e-boundary\r\nthis is not a header line\r\n" + body
    elif case == "not-multipart":
        ctype = "application/x-www-form-urlencoded"
    resp = post_form(f"{server.url}/{brepo}/", body, ctype, server.admin_token)
    if case == "not-multipart":
        assert resp.status in (400, 415), str(resp)
    else:
        assert_rejected(resp, 400, "multipart", "boundary", "form", "malformed", "content")
    assert_nothing_stored(server, brepo, before)


@pytest.mark.parametrize("half_close", [True, False], ids=["half-close", "close"])
@pytest.mark.parametrize("cut", ["in-fields", "in-content"])
def test_truncated_body(server, brepo, tmp_path, half_close, cut):
    # A 4 MiB wheel, so the server is well into streaming `content` when the client goes away.
    wheel = make_wheel(tmp_path / "whalpha-1.1-py3-none-any.whl", "whalpha", "1.1",
                       payload=os.urandom(4 << 20), compress=0)
    before = snapshot(server, brepo)
    body, ctype = encode(upload_fields(wheel), [("content", wheel.name, wheel.read_bytes())])
    send = 300 if cut == "in-fields" else len(body) // 2
    answer = send_truncated(f"{server.url}/{brepo}/", body, ctype, basic("__token__", server.admin_token), send,
                            half_close=half_close)
    assert_nothing_stored(server, brepo, before)
    if answer:  # the client may be gone; if the server answers anyway, a 400 (a 5xx makes twine retry)
        status = int(answer.split(b" ", 2)[1])
        assert status == 400, answer[:500]


def test_non_wheel_named_whl(server, brepo, alpha11):
    before = snapshot(server, brepo)
    data = os.urandom(8192)
    resp = upload(server.url, brepo, alpha11.wheel, server.admin_token, data=data)
    assert_rejected(resp, 400, "wheel", "zip", "archive")
    assert_nothing_stored(server, brepo, before)


def test_non_sdist_named_tar_gz(server, brepo, alpha11):
    before = snapshot(server, brepo)
    resp = upload(server.url, brepo, alpha11.sdist, server.admin_token, data=os.urandom(8192))
    assert_rejected(resp, 400, "sdist", "tar", "gzip", "archive")
    assert_nothing_stored(server, brepo, before)


def test_wheel_without_metadata(server, brepo, tmp_path):
    before = snapshot(server, brepo)
    (tmp_path / "good").mkdir()
    good = make_wheel(tmp_path / "good" / "whalpha-1.1-py3-none-any.whl", "whalpha", "1.1")
    bad = make_wheel(tmp_path / "whalpha-1.1-py3-none-any.whl", "whalpha", "1.1", with_metadata=False)
    # The form fields come from the good twin; the content lacks METADATA.
    resp = upload(server.url, brepo, good, server.admin_token, data=bad.read_bytes())
    assert_rejected(resp, 400, "metadata")
    assert_nothing_stored(server, brepo, before)


def test_unknown_repository(server, brepo, alpha11):
    before = snapshot(server, brepo)
    resp = upload(server.url, "no-such-repo", alpha11.wheel, server.admin_token)
    assert resp.status == 404, str(resp)
    assert_nothing_stored(server, brepo, before)


def test_positive_control_non_normalized_form_name(server, alpha11):
    # The form's name only has to match the filename after PEP 503 normalization.
    repo = server.new_repo("ctl")
    resp = upload(server.url, repo, alpha11.wheel, server.admin_token, overrides={"name": "WhAlpha"})
    assert resp.status == 200, str(resp)
