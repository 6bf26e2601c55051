"""tresor's own CLI for daily use: login, read/write/list/delete/patch, kv, policy, token,
secrets and auth, end to end against a tresor dev server (effects checked over HTTP),
side by side with the bao CLI against `bao server -dev` for output shapes, and against
OpenBao itself to show tresor's CLI speaks to any Vault-compatible server.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess

import pytest

from conftest import BAO_BIN, LOOPBACK, TRESOR_BIN, CliResult, cli_env, closed_port, run_cli

READER = 'path "secret/data/*" {\n  capabilities = ["read", "list"]\n}\n'


def run(argv, env, stdin: str | None = None) -> CliResult:
    if stdin is None:
        return run_cli(argv, env)
    p = subprocess.run(
        [str(a) for a in argv], env=env, input=stdin, capture_output=True, text=True,
        timeout=30, cwd=env.get("HOME"),
    )
    return CliResult([str(a) for a in argv], p.returncode, p.stdout, p.stderr)


def tresor(server, *args, token: str | None = "root", stdin: str | None = None, **env) -> CliResult:
    return run([TRESOR_BIN, *args], server.env(token, **env), stdin)


def bao(server, *args, token: str | None = "root", stdin: str | None = None, **env) -> CliResult:
    return run([BAO_BIN, *args], server.env(token, **env), stdin)


def ok(r: CliResult) -> CliResult:
    assert r.rc == 0, r
    return r


def api(server, method, path, body=None, token="root"):
    r = server.http(method, f"/v1/{path}", body=body, token=token)
    return r.status, (r.json() if r.body.strip() else None)


def both(tresor_dev, bao_dev, *args, stdin=None):
    """The same command through tresor's CLI at tresor and the bao CLI at OpenBao."""
    return tresor(tresor_dev, *args, stdin=stdin), bao(bao_dev, *args, stdin=stdin)


def masked(text: str) -> str:
    """Output with the values that differ between two servers blanked out."""
    text = re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+Z", "<time>", text)
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", text)
    return text


@pytest.fixture(scope="module")
def kv1(tresor_dev, bao_dev):
    """A KV version 1 mount `kv1/` on both servers."""
    for s, cli in ((tresor_dev, tresor), (bao_dev, bao)):
        ok(cli(s, "secrets", "enable", "-path=kv1", "kv"))
    return "kv1"


# --------------------------------------------------------------------------------------
# kv on version 2
# --------------------------------------------------------------------------------------


def test_kv_put_and_get_v2(tresor_dev):
    r = ok(tresor(tresor_dev, "kv", "put", "secret/app", "user=alice", "pass=s3cret"))
    assert r.stdout.startswith("= Secret Path =\nsecret/data/app\n\n======= Metadata =======\n"), r
    assert re.search(r"^version\s+1$", r.stdout, re.M), r
    status, doc = api(tresor_dev, "GET", "secret/data/app")
    assert status == 200 and doc["data"]["data"] == {"user": "alice", "pass": "s3cret"}

    r = ok(tresor(tresor_dev, "kv", "get", "secret/app"))
    assert "= Secret Path =\nsecret/data/app\n" in r.stdout
    assert "==== Data ====\nKey     Value\n---     -----\npass    s3cret\nuser    alice\n" in r.stdout, r
    assert re.search(r"^deletion_time\s+n/a$", r.stdout, re.M), r
    assert re.search(r"^custom_metadata\s+<nil>$", r.stdout, re.M), r
    # -field prints the raw value, no newline when stdout is not a terminal
    assert ok(tresor(tresor_dev, "kv", "get", "-field=user", "secret/app")).stdout == "alice"
    r = tresor(tresor_dev, "kv", "get", "-field=nope", "secret/app")
    assert r.rc == 1 and 'Field "nope" not present' in r.stderr, r
    # -mount=, and --double-dash flags
    r = ok(tresor(tresor_dev, "kv", "get", "-mount=secret", "--field=pass", "app"))
    assert r.stdout == "s3cret"


def test_kv_versions_cas_and_json(tresor_dev):
    ok(tresor(tresor_dev, "kv", "put", "secret/v", "n=1"))
    ok(tresor(tresor_dev, "kv", "put", "-cas=1", "secret/v", "n=2"))
    r = tresor(tresor_dev, "kv", "put", "-cas=1", "secret/v", "n=3")
    assert r.rc == 2 and "Error writing data to secret/data/v" in r.stderr, r
    assert "check-and-set parameter did not match" in r.stderr, r
    j = ok(tresor(tresor_dev, "kv", "get", "-version=1", "-format=json", "secret/v")).json()
    assert j["data"]["data"] == {"n": "1"} and j["data"]["metadata"]["version"] == 1
    assert list(j) == ["request_id", "lease_id", "lease_duration", "renewable", "data", "warnings"]
    j = ok(tresor(tresor_dev, "kv", "put", "-format=json", "secret/v", "n=4")).json()
    assert j["data"]["version"] == 3


def test_kv_patch(tresor_dev):
    ok(tresor(tresor_dev, "kv", "put", "secret/p", "a=1"))
    r = ok(tresor(tresor_dev, "kv", "patch", "secret/p", "b=2"))
    assert "= Secret Path =" in r.stdout
    ok(tresor(tresor_dev, "kv", "patch", "-method=rw", "secret/p", "c=3"))
    ok(tresor(tresor_dev, "kv", "patch", "-remove-data=a", "secret/p"))
    _, doc = api(tresor_dev, "GET", "secret/data/p")
    assert doc["data"]["data"] == {"b": "2", "c": "3"}
    assert doc["data"]["metadata"]["version"] == 4
    r = tresor(tresor_dev, "kv", "patch", "secret/nothing-here", "b=2")
    assert r.rc == 2, r
    assert tresor(tresor_dev, "kv", "patch", "secret/p").rc == 1  # no data


def test_kv_delete_undelete_destroy_rollback(tresor_dev):
    for n in (1, 2, 3):
        ok(tresor(tresor_dev, "kv", "put", "secret/d", f"n={n}"))
    r = ok(tresor(tresor_dev, "kv", "delete", "secret/d"))
    assert r.stdout == "Success! Data deleted (if it existed) at: secret/data/d\n"
    # a deleted version: metadata shown, no data, exit 0 (as the Vault CLI does)
    r = ok(tresor(tresor_dev, "kv", "get", "secret/d"))
    assert "== Data ==" not in r.stdout and re.search(r"^deletion_time\s+\d{4}-", r.stdout, re.M), r
    r = ok(tresor(tresor_dev, "kv", "undelete", "-versions=3", "secret/d"))
    assert r.stdout == "Success! Data written to: secret/undelete/d\n"
    ok(tresor(tresor_dev, "kv", "delete", "-versions=2", "secret/d"))
    ok(tresor(tresor_dev, "kv", "destroy", "-versions=1", "secret/d"))
    _, doc = api(tresor_dev, "GET", "secret/metadata/d")
    versions = doc["data"]["versions"]
    assert versions["1"]["destroyed"] is True
    assert versions["2"]["deletion_time"] and versions["3"]["deletion_time"] == ""
    r = tresor(tresor_dev, "kv", "undelete", "secret/d")
    assert r.rc == 1 and '"-versions" flag' in r.stderr, r
    # rollback: version 3's data becomes version 4
    r = tresor(tresor_dev, "kv", "rollback", "secret/d")
    assert r.rc == 1 and "Version flag must be specified" in r.stderr, r
    r = tresor(tresor_dev, "kv", "rollback", "-version=1", "secret/d")
    assert r.rc == 2 and "destroyed" in r.stderr, r
    ok(tresor(tresor_dev, "kv", "rollback", "-version=3", "secret/d"))
    _, doc = api(tresor_dev, "GET", "secret/data/d")
    assert doc["data"]["data"] == {"n": "3"} and doc["data"]["metadata"]["version"] == 4


def test_kv_list(tresor_dev):
    ok(tresor(tresor_dev, "kv", "put", "secret/dir/a", "x=1"))
    ok(tresor(tresor_dev, "kv", "put", "secret/dir/b/c", "x=1"))
    r = ok(tresor(tresor_dev, "kv", "list", "secret/dir"))
    assert r.stdout == "Keys\n----\na\nb/\n"
    assert ok(tresor(tresor_dev, "kv", "list", "-format=json", "-mount=secret", "dir")).json() == ["a", "b/"]
    r = tresor(tresor_dev, "kv", "list", "secret/nothing")
    assert r.rc == 2 and "No value found at secret/metadata/nothing" in r.stderr, r
    r = tresor(tresor_dev, "kv", "list", "-format=json", "secret/nothing")
    assert r.rc == 2 and r.json() == {}


def test_kv_metadata(tresor_dev):
    ok(tresor(tresor_dev, "kv", "put", "secret/m", "a=1"))
    r = ok(tresor(tresor_dev, "kv", "metadata", "put", "-max-versions=5", "-cas-required",
                  "-delete-version-after=1h", "-custom-metadata=owner=me",
                  "-custom-metadata=team=x", "secret/m"))
    assert r.stdout == "Success! Data written to: secret/metadata/m\n"
    _, doc = api(tresor_dev, "GET", "secret/metadata/m")
    d = doc["data"]
    assert (d["max_versions"], d["cas_required"], d["delete_version_after"]) == (5, True, "1h0m0s")
    assert d["custom_metadata"] == {"owner": "me", "team": "x"}
    r = tresor(tresor_dev, "kv", "put", "secret/m", "a=2")
    assert r.rc == 2 and "check-and-set parameter required" in r.stderr, r
    r = ok(tresor(tresor_dev, "kv", "metadata", "get", "secret/m"))
    assert r.stdout.startswith("= Metadata Path =\nsecret/metadata/m\n\n============ Metadata ============\n")
    assert "\n====== Version 1 ======\n" in r.stdout, r
    assert re.search(r"^custom_metadata\s+map\[owner:me team:x\]$", r.stdout, re.M), r
    assert ok(tresor(tresor_dev, "kv", "metadata", "get", "-field=max_versions", "secret/m")).stdout == "5"
    r = ok(tresor(tresor_dev, "kv", "metadata", "delete", "secret/m"))
    assert r.stdout == "Success! Data deleted (if it existed) at: secret/metadata/m\n"
    assert api(tresor_dev, "GET", "secret/metadata/m")[0] == 404


def test_kv_on_version_1(tresor_dev, kv1):
    r = ok(tresor(tresor_dev, "kv", "put", "-mount=kv1", "one", "a=1"))
    assert r.stdout == "Success! Data written to: kv1/one\n"
    assert api(tresor_dev, "GET", "kv1/one")[1]["data"] == {"a": "1"}
    r = ok(tresor(tresor_dev, "kv", "get", "kv1/one"))
    assert r.stdout == "== Data ==\nKey    Value\n---    -----\na      1\n"
    r = tresor(tresor_dev, "kv", "patch", "kv1/one", "b=2")
    assert r.rc == 2 and "must be version 2" in r.stderr, r
    r = tresor(tresor_dev, "kv", "undelete", "-versions=1", "kv1/one")
    assert r.rc == 1 and "not supported on KV Version 1" in r.stderr, r
    r = tresor(tresor_dev, "kv", "metadata", "get", "kv1/one")
    assert r.rc == 1, r
    ok(tresor(tresor_dev, "kv", "delete", "kv1/one"))
    assert api(tresor_dev, "GET", "kv1/one")[0] == 404


# --------------------------------------------------------------------------------------
# read / write / list / delete / patch
# --------------------------------------------------------------------------------------


def test_write_forms_and_read(tresor_dev, kv1, tmp_path):
    f = tmp_path / "v.txt"
    f.write_text("from a file")
    body = tmp_path / "d.json"
    body.write_text(json.dumps({"j": {"n": 1}}))
    r = ok(tresor(tresor_dev, "write", "kv1/w", "a=1", "a=2", f"f=@{f}", f"@{body}", "s=-",
                  stdin="piped"))
    assert r.stdout == "Success! Data written to: kv1/w\n"
    _, doc = api(tresor_dev, "GET", "kv1/w")
    assert doc["data"] == {"a": ["1", "2"], "f": "from a file", "j": {"n": 1}, "s": "piped"}
    ok(tresor(tresor_dev, "write", "kv1/stdin", "-", stdin='{"x": "y", "n": 2}'))
    assert api(tresor_dev, "GET", "kv1/stdin")[1]["data"] == {"x": "y", "n": 2}

    r = ok(tresor(tresor_dev, "read", "kv1/w"))
    assert r.stdout.startswith("Key                 Value\n---                 -----\nrefresh_interval    768h\n")
    assert "\na                   [1 2]\n" in r.stdout and "\nj                   map[n:1]\n" in r.stdout, r
    assert ok(tresor(tresor_dev, "read", "-field=f", "kv1/w")).stdout == "from a file"
    assert ok(tresor(tresor_dev, "read", "-field=j", "-format=json", "kv1/w")).json() == {"n": 1}

    r = tresor(tresor_dev, "write", "kv1/w")
    assert r.rc == 1 and "Must supply data or use -force" in r.stderr, r
    r = tresor(tresor_dev, "write", "kv1/w", "novalue")
    assert r.rc == 1 and "format must be key=value" in r.stderr, r
    r = tresor(tresor_dev, "write", "kv1/w", f"x=@{tmp_path}/missing")
    assert r.rc == 1 and "no such file or directory" in r.stderr, r
    r = tresor(tresor_dev, "read", "kv1/missing")
    assert r.rc == 2 and r.stderr == "No value found at kv1/missing\n", r


def test_list_delete_patch(tresor_dev, kv1):
    ok(tresor(tresor_dev, "write", "kv1/l/a", "x=1"))
    ok(tresor(tresor_dev, "write", "kv1/l/b", "x=1"))
    assert ok(tresor(tresor_dev, "list", "kv1/l")).stdout == "Keys\n----\na\nb\n"
    assert ok(tresor(tresor_dev, "list", "-format=yaml", "kv1/l/")).stdout == "- a\n- b\n"
    r = ok(tresor(tresor_dev, "delete", "kv1/l/a"))
    assert r.stdout == "Success! Data deleted (if it existed) at: kv1/l/a\n"
    assert api(tresor_dev, "GET", "kv1/l/a")[0] == 404
    r = tresor(tresor_dev, "list", "kv1/none")
    assert r.rc == 2 and "No value found at kv1/none" in r.stderr, r
    # patch: an HTTP PATCH with a JSON merge patch (KV v2's data path)
    ok(tresor(tresor_dev, "kv", "put", "secret/gp", "a=1"))
    ok(tresor(tresor_dev, "patch", "secret/data/gp", "-", stdin='{"data": {"b": "2"}}'))
    assert api(tresor_dev, "GET", "secret/data/gp")[1]["data"]["data"] == {"a": "1", "b": "2"}


def test_write_answer_and_field(tresor_dev):
    r = ok(tresor(tresor_dev, "write", "auth/token/create", "policies=default", "ttl=1h"))
    assert re.search(r"^token_duration\s+1h$", r.stdout, re.M), r
    assert re.search(r'^token_policies\s+\["default"\]$', r.stdout, re.M), r
    token = ok(tresor(tresor_dev, "write", "-field=token", "auth/token/create", "policies=default")).stdout
    assert api(tresor_dev, "GET", "auth/token/lookup-self", token=token)[0] == 200


# --------------------------------------------------------------------------------------
# output formats compared with the bao CLI at OpenBao
# --------------------------------------------------------------------------------------

# {f} stands for the -format flag, which goes after the command's words
SAME_KEYS = [
    ("kv", "put", "{f}", "secret/cmp", "a=1"),
    ("kv", "get", "{f}", "secret/cmp"),
    ("kv", "patch", "{f}", "secret/cmp", "b=2"),
    ("kv", "metadata", "get", "{f}", "secret/cmp"),
    ("read", "{f}", "secret/data/cmp"),
    ("read", "{f}", "kv1/cmp"),
    ("token", "lookup", "{f}"),
    ("token", "create", "{f}", "-policy=default", "-ttl=1h"),
    ("policy", "read", "{f}", "default"),
    ("login", "{f}", "-no-store", "root"),
]


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_structured_output_has_baos_keys(tresor_dev, bao_dev, kv1, fmt):
    for s, cli in ((tresor_dev, tresor), (bao_dev, bao)):
        ok(cli(s, "write", "kv1/cmp", "a=1"))
    for template in SAME_KEYS:
        args = [f"-format={fmt}" if a == "{f}" else a for a in template]
        ours, ref = both(tresor_dev, bao_dev, *args)
        assert ours.rc == ref.rc == 0, (ours, ref)
        if fmt == "json":
            o, b = ours.json(), ref.json()
            assert list(o) == list(b), (args, o, b)
            if isinstance(o.get("data"), dict) and args[0] not in ("token", "login"):
                assert set(o["data"]) == set(b["data"]), (args, o, b)
            if "auth" in o:
                assert list(o["auth"]) == list(b["auth"])
        else:
            top = lambda text: re.findall(r"^(\S[^:]*):", text, re.M)  # noqa: E731
            assert top(ours.stdout) == top(ref.stdout), (args, ours, ref)
    # lists and mount tables
    for args in (("kv", "list", "-format=json", "secret"), ("policy", "list", "-format=json"),
                 ("secrets", "list", "-format=json"), ("auth", "list", "-format=json")):
        ours, ref = both(tresor_dev, bao_dev, *args)
        o, b = ours.json(), ref.json()
        assert type(o) is type(b), (args, o, b)
        if isinstance(o, dict):
            assert list(o["secret/" if args[0] == "secrets" else "token/"]) == list(
                b["secret/" if args[0] == "secrets" else "token/"]
            ), (args, o, b)


def test_text_output_matches_bao(tresor_dev, bao_dev, kv1):
    odd = ["", "true", "1.5", "x: y", "-x", " lead", "multi\nline", "it's", "tab\tx", "é", "<&>"]
    args = ["kv1/out/fmt", *(f"k{i}={v}" for i, v in enumerate(odd)), "_x=1", "K=1", "a_b=1", "ab=1"]
    for s, cli in ((tresor_dev, tresor), (bao_dev, bao)):
        ok(cli(s, "write", *args))
        ok(cli(s, "write", "kv1/out/nested", "-", stdin='{"m": {"x": [1, {"a": 1, "b": []}], "e": {}}, "l": [[1, 2], []]}'))
        ok(cli(s, "policy", "write", "yamlreader", "-", stdin=READER))
    for cmd in (
        ("read", "kv1/out/fmt"), ("read", "-format=yaml", "kv1/out/fmt"), ("read", "-format=json", "kv1/out/fmt"),
        ("read", "kv1/out/nested"), ("read", "-format=yaml", "kv1/out/nested"), ("kv", "get", "kv1/out/fmt"),
        ("read", "-field=k7", "kv1/out/fmt"), ("policy", "read", "-format=yaml", "yamlreader"),
        ("list", "kv1/out"), ("kv", "get", "-format=yaml", "kv1/out/nested"),
    ):
        ours, ref = both(tresor_dev, bao_dev, *cmd)
        assert (ours.rc, masked(ours.stdout)) == (ref.rc, masked(ref.stdout)), (cmd, ours, ref)


def test_vault_format_variable(tresor_dev):
    r = ok(tresor(tresor_dev, "token", "lookup", VAULT_FORMAT="json"))
    assert r.json()["data"]["id"] == "root"
    r = ok(tresor(tresor_dev, "token", "lookup", "-format=table", VAULT_FORMAT="json"))
    assert r.stdout.startswith("Key ")
    r = tresor(tresor_dev, "token", "lookup", VAULT_FORMAT="xml")
    assert r.rc == 1 and "Invalid output format" in r.stderr, r


# --------------------------------------------------------------------------------------
# policy
# --------------------------------------------------------------------------------------


def test_policy_commands(tresor_dev, tmp_path):
    f = tmp_path / "reader.hcl"
    f.write_text(READER)
    r = ok(tresor(tresor_dev, "policy", "write", "Reader", f))
    assert r.stdout == "Success! Uploaded policy: reader\n"
    assert 'converted from "Reader" to "reader"' in r.stderr
    ok(tresor(tresor_dev, "policy", "write", "fromstdin", "-", stdin=READER))
    assert api(tresor_dev, "GET", "sys/policies/acl/fromstdin")[1]["data"]["policy"] == READER
    names = ok(tresor(tresor_dev, "policy", "list")).stdout.split()
    assert {"default", "root", "reader", "fromstdin"} <= set(names)
    assert set(ok(tresor(tresor_dev, "policy", "list", "-format=json")).json()) == set(names)
    assert ok(tresor(tresor_dev, "policy", "read", "reader")).stdout == READER
    assert ok(tresor(tresor_dev, "policy", "read", "-format=json", "reader")).json() == {"policy": READER}
    r = tresor(tresor_dev, "policy", "read", "nope")
    assert r.rc == 2 and "No policy named: nope" in r.stderr, r
    r = tresor(tresor_dev, "policy", "write", "x", tmp_path / "missing.hcl")
    assert r.rc == 2 and "Error opening policy file" in r.stderr, r
    r = tresor(tresor_dev, "policy", "write", "bad", "-", stdin='path "x" { capabilities = ["fly"] }')
    assert r.rc == 2 and "Error uploading policy" in r.stderr, r
    assert ok(tresor(tresor_dev, "policy", "delete", "fromstdin")).stdout == "Success! Deleted policy: fromstdin\n"
    assert api(tresor_dev, "GET", "sys/policies/acl/fromstdin")[0] == 404


def test_policy_fmt(tmp_path, home):
    f = tmp_path / "messy.hcl"
    f.write_text('# keep me\npath "secret/*"   {\ncapabilities=["read"]\n    max_wrapping_ttl = "1h"\n}\n\n\n'
                 'path "sys/*" { capabilities = ["deny"] }\n')
    r = run_cli([TRESOR_BIN, "policy", "fmt", f], cli_env(home, "http://127.0.0.1:1"))
    assert r.rc == 0 and r.stdout == f"Success! Formatted policy: {f}\n", r
    assert f.read_text() == ('# keep me\npath "secret/*" {\n  capabilities     = ["read"]\n'
                             '  max_wrapping_ttl = "1h"\n}\n\npath "sys/*" { capabilities = ["deny"] }\n')
    bad = tmp_path / "bad.hcl"
    bad.write_text('path "x" { capabilities = ["fly"] }\n')
    r = run_cli([TRESOR_BIN, "policy", "fmt", bad], cli_env(home, "http://127.0.0.1:1"))
    assert r.rc == 1 and "fly" in r.stderr, r
    assert bad.read_text() == 'path "x" { capabilities = ["fly"] }\n'


# --------------------------------------------------------------------------------------
# token
# --------------------------------------------------------------------------------------


def test_token_create_and_lookup(tresor_dev):
    r = ok(tresor(tresor_dev, "token", "create", "-format=json", "-policy=p1", "-policy=p2",
                  "-ttl=1h", "-explicit-max-ttl=2h", "-display-name=app", "-use-limit=5",
                  "-renewable=false", "-no-default-policy", "-orphan", "-metadata=team=x"))
    auth = r.json()["auth"]
    assert auth["token_policies"] == ["p1", "p2"] and auth["lease_duration"] == 3600
    assert auth["orphan"] is True and auth["renewable"] is False
    _, doc = api(tresor_dev, "POST", "auth/token/lookup", {"token": auth["client_token"]})
    d = doc["data"]
    assert (d["display_name"], d["num_uses"], d["explicit_max_ttl"], d["meta"]) == (
        "token-app", 5, 7200, {"team": "x"})
    r = ok(tresor(tresor_dev, "token", "lookup", auth["client_token"]))
    assert re.search(r"^policies\s+\[p1 p2\]$", r.stdout, re.M), r
    assert re.search(r"^creation_ttl\s+1h$", r.stdout, re.M), r
    r = ok(tresor(tresor_dev, "token", "lookup", "-accessor", auth["accessor"]))
    assert re.search(r"^display_name\s+token-app$", r.stdout, re.M), r
    assert ok(tresor(tresor_dev, "token", "lookup", "-field=id")).stdout == "root"
    batch = ok(tresor(tresor_dev, "token", "create", "-type=batch", "-policy=default", "-field=token")).stdout
    assert api(tresor_dev, "POST", "auth/token/lookup", {"token": batch})[1]["data"]["type"] == "batch"
    r = tresor(tresor_dev, "token", "create", "-role=nosuchrole")
    assert r.rc == 2 and "Error creating token" in r.stderr, r


def test_token_renew_revoke_capabilities(tresor_dev):
    ok(tresor(tresor_dev, "policy", "write", "capreader", "-", stdin=READER))
    t = ok(tresor(tresor_dev, "token", "create", "-policy=capreader", "-ttl=30m", "-field=token")).stdout
    r = ok(tresor(tresor_dev, "token", "renew", "-increment=1h", t))
    assert re.search(r"^token_duration\s+1h$", r.stdout, re.M), r
    r = ok(tresor(tresor_dev, "token", "renew", "-format=json", token=t))
    assert r.json()["auth"]["client_token"] == t
    assert ok(tresor(tresor_dev, "token", "capabilities", t, "secret/data/x")).stdout == "list, read\n"
    assert ok(tresor(tresor_dev, "token", "capabilities", "secret/data/x", token=t)).stdout == "list, read\n"
    assert ok(tresor(tresor_dev, "token", "capabilities", "sys/mounts", token=t)).stdout == "deny\n"
    assert ok(tresor(tresor_dev, "token", "capabilities", "-format=json", "sys/x")).json() == ["root"]

    parent = ok(tresor(tresor_dev, "token", "create", "-field=token")).stdout
    child = ok(tresor(tresor_dev, "token", "create", "-field=token", token=parent)).stdout
    assert ok(tresor(tresor_dev, "token", "revoke", "-mode=orphan", parent)).stdout == \
        "Success! Revoked token (if it existed)\n"
    assert api(tresor_dev, "GET", "auth/token/lookup-self", token=child)[0] == 200
    accessor = ok(tresor(tresor_dev, "token", "lookup", "-field=accessor", child)).stdout
    ok(tresor(tresor_dev, "token", "revoke", "-accessor", accessor))
    assert api(tresor_dev, "GET", "auth/token/lookup-self", token=child)[0] == 403
    ok(tresor(tresor_dev, "token", "revoke", "-self", token=t))
    r = tresor(tresor_dev, "token", "lookup", t)
    assert r.rc == 2 and "bad token" in r.stderr, r
    for bad in (["-self", "x"], [], ["-mode=nope", "x"], ["-self", "-accessor"], ["-accessor", "-mode=path", "x"]):
        assert tresor(tresor_dev, "token", "revoke", *bad).rc == 1, bad


# --------------------------------------------------------------------------------------
# secrets and auth
# --------------------------------------------------------------------------------------


def test_secrets_commands(tresor_dev):
    r = ok(tresor(tresor_dev, "secrets", "enable", "-path=team", "-description=team kv",
                  "-default-lease-ttl=1h", "-max-lease-ttl=2h", "-version=2", "kv"))
    assert r.stdout == "Success! Enabled the kv secrets engine at: team/\n"
    _, doc = api(tresor_dev, "GET", "sys/mounts")
    m = doc["data"]["team/"]
    assert (m["type"], m["description"], m["options"]) == ("kv", "team kv", {"version": "2"})
    assert (m["config"]["default_lease_ttl"], m["config"]["max_lease_ttl"]) == (3600, 7200)
    r = ok(tresor(tresor_dev, "secrets", "list"))
    assert r.stdout.startswith("Path          Type         Accessor              Description\n"
                               "----          ----         --------              -----------\n"), r
    assert re.search(r"^team/\s+kv\s+kv_\w+\s+team kv$", r.stdout, re.M), r
    r = ok(tresor(tresor_dev, "secrets", "list", "-detailed"))
    assert re.search(r"^team/\s+kv\s+kv_\w+\s+3600\s+7200\s+false\s+replicated", r.stdout, re.M), r
    assert ok(tresor(tresor_dev, "secrets", "list", "-format=json")).json()["team/"]["options"] == {"version": "2"}

    r = ok(tresor(tresor_dev, "secrets", "tune", "-default-lease-ttl=30m", "-description=tuned",
                  "-options=extra=1", "team"))
    assert r.stdout == "Success! Tuned the secrets engine at: team/\n"
    _, doc = api(tresor_dev, "GET", "sys/mounts/team/tune")
    assert (doc["data"]["default_lease_ttl"], doc["data"]["description"]) == (1800, "tuned")
    ok(tresor(tresor_dev, "kv", "put", "team/x", "a=1"))
    r = ok(tresor(tresor_dev, "secrets", "move", "team", "team2"))
    assert "Started moving secrets engine team/ to team2/" in r.stdout
    assert "Success! Finished moving secrets engine team/ to team2/" in r.stdout, r
    assert ok(tresor(tresor_dev, "kv", "get", "-field=a", "team2/x")).stdout == "1"
    r = ok(tresor(tresor_dev, "secrets", "disable", "team2"))
    assert r.stdout == "Success! Disabled the secrets engine (if it existed) at: team2/\n"
    assert "team2/" not in api(tresor_dev, "GET", "sys/mounts")[1]["data"]
    r = tresor(tresor_dev, "secrets", "enable", "nosuchengine")
    assert r.rc == 2 and "Error enabling: " in r.stderr and "nosuchengine" in r.stderr, r


def test_auth_commands(tresor_dev):
    r = ok(tresor(tresor_dev, "auth", "list"))
    assert re.search(r"^token/\s+token\s+auth_token_\w+\s+token based credentials\s+n/a$", r.stdout, re.M), r
    assert set(ok(tresor(tresor_dev, "auth", "list", "-format=json")).json()) == {"token/"}
    r = ok(tresor(tresor_dev, "auth", "tune", "-default-lease-ttl=2h", "-description=tokens", "token"))
    assert r.stdout == "Success! Tuned the auth method at: token/\n"
    _, doc = api(tresor_dev, "GET", "sys/auth/token/tune")
    assert (doc["data"]["default_lease_ttl"], doc["data"]["description"]) == (7200, "tokens")
    r = tresor(tresor_dev, "auth", "enable", "-path=nope", "nosuchmethod")
    assert r.rc == 2 and "Error enabling nosuchmethod auth" in r.stderr, r
    r = ok(tresor(tresor_dev, "auth", "disable", "nope"))
    assert r.stdout == "Success! Disabled the auth method (if it existed) at: nope/\n"


def test_tresor_cli_against_openbao(bao_dev, tmp_path):
    """tresor's CLI drives a real OpenBao: auth methods and moves OpenBao has."""
    ok(tresor(bao_dev, "auth", "enable", "-path=up", "-description=users", "userpass"))
    assert api(bao_dev, "GET", "sys/auth")[1]["data"]["up/"]["type"] == "userpass"
    ok(tresor(bao_dev, "auth", "tune", "-default-lease-ttl=1h", "up"))
    assert api(bao_dev, "GET", "sys/auth/up/tune")[1]["data"]["default_lease_ttl"] == 3600
    r = ok(tresor(bao_dev, "auth", "list", "-detailed"))
    assert re.search(r"^up/\s+userpass\s+auth_userpass_\w+\s+3600\s+system\s+default-service", r.stdout, re.M), r
    ok(tresor(bao_dev, "auth", "disable", "up"))
    ok(tresor(bao_dev, "secrets", "enable", "-path=mv", "-version=2", "kv"))
    ok(tresor(bao_dev, "kv", "put", "mv/k", "a=1"))
    r = ok(tresor(bao_dev, "secrets", "move", "mv", "mv2"))
    assert "Success! Finished moving" in r.stdout, r
    assert ok(tresor(bao_dev, "kv", "get", "-field=a", "mv2/k")).stdout == "1"
    ok(tresor(bao_dev, "kv", "delete", "mv2/k"))
    ok(tresor(bao_dev, "kv", "undelete", "-versions=1", "mv2/k"))
    ok(tresor(bao_dev, "kv", "patch", "mv2/k", "b=2"))
    assert api(bao_dev, "GET", "mv2/data/k")[1]["data"]["data"] == {"a": "1", "b": "2"}
    ok(tresor(bao_dev, "secrets", "disable", "mv2"))


# --------------------------------------------------------------------------------------
# login, denials, exit codes
# --------------------------------------------------------------------------------------


def test_login_stores_the_token(tresor_dev, home):
    env = cli_env(home, tresor_dev.addr)
    token_file = home / ".vault-token"
    r = run_cli([TRESOR_BIN, "login", "root"], env)
    assert r.rc == 0 and r.stdout.startswith("Success! You are now authenticated."), r
    assert re.search(r"^token_policies\s+\[\"root\"\]$", r.stdout, re.M), r
    assert token_file.read_text() == "root"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    # later commands use it, without VAULT_TOKEN
    assert run_cli([TRESOR_BIN, "token", "lookup", "-field=id"], env).stdout == "root"

    child = ok(tresor(tresor_dev, "token", "create", "-policy=default", "-field=token")).stdout
    r = run([TRESOR_BIN, "login", "-format=json", "-"], env, stdin=child + "\n")
    assert r.rc == 0, r
    assert r.json()["auth"]["client_token"] == child and r.json()["auth"]["policies"] == ["default"]
    assert token_file.read_text() == child
    r = run_cli([TRESOR_BIN, "login", "-no-store", "root"], env)
    assert r.rc == 0 and "not stored" in r.stderr and token_file.read_text() == child, r
    r = run_cli([TRESOR_BIN, "login", "-token-only", "root"], env)
    assert (r.rc, r.stdout) == (0, "root") and token_file.read_text() == child, r
    r = run_cli([TRESOR_BIN, "login", "not-a-token"], env)
    assert r.rc == 2 and "error looking up token" in r.stderr and token_file.read_text() == child, r
    r = run_cli([TRESOR_BIN, "login"], env)  # would prompt; stdin is not a terminal
    assert r.rc == 2 and "not a terminal" in r.stderr, r
    r = run_cli([TRESOR_BIN, "login", "-method=userpass", "username=x"], env)  # prompts: no terminal
    assert r.rc == 1 and "Error reading the password" in r.stderr, r
    r = run_cli([TRESOR_BIN, "login", "-no-store", "-no-print", "root"], env)
    assert r.rc == 1, r


def test_denials_are_server_errors(tresor_dev):
    ok(tresor(tresor_dev, "policy", "write", "denyreader", "-", stdin=READER))
    t = ok(tresor(tresor_dev, "token", "create", "-policy=denyreader", "-field=token")).stdout
    ok(tresor(tresor_dev, "kv", "put", "secret/guarded", "a=1"))
    assert ok(tresor(tresor_dev, "kv", "get", "-field=a", "secret/guarded", token=t)).stdout == "1"
    for args in (
        ("kv", "put", "secret/guarded", "a=2"),
        ("write", "secret/data/guarded", "a=2"),
        ("policy", "list"),
        ("secrets", "enable", "-path=x", "kv"),
        ("token", "create"),
        ("read", "sys/mounts"),
    ):
        r = tresor(tresor_dev, *args, token=t)
        assert r.rc == 2 and "permission denied" in r.stderr and "Code: 403" in r.stderr, (args, r)
    _, doc = api(tresor_dev, "GET", "secret/data/guarded")
    assert doc["data"]["data"] == {"a": "1"}


def test_usage_and_connection_errors(tresor_dev, home):
    for argv in (["nosuchcommand"], ["kv", "get"], ["kv", "get", "-nosuchflag", "x"], ["read"],
                 ["kv", "put", "-cas=x", "secret/a", "b=1"], ["token", "create", "-ttl=forever"]):
        r = tresor(tresor_dev, *argv)
        assert r.rc == 1 and r.stderr, (argv, r)
    assert tresor(tresor_dev, "kv", "--help").rc == 0
    closed = f"http://{LOOPBACK}:{closed_port()}"
    env = cli_env(home, closed, token="root")
    for argv in (["read", "secret/x"], ["kv", "get", "secret/x"], ["token", "lookup"], ["secrets", "list"]):
        r = run_cli([TRESOR_BIN, *argv], env)
        assert r.rc == 1 and r.stderr.strip(), (argv, r)
    # -address wins over VAULT_ADDR
    r = run_cli([TRESOR_BIN, "kv", "list", f"-address={tresor_dev.addr}", "secret"], env)
    assert r.rc == 0, r
    assert os.access(TRESOR_BIN, os.X_OK)
