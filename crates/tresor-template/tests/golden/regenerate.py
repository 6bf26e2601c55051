#!/usr/bin/env python3
"""Re-creates the golden files from the real thing: OpenBao's agent (whose template
engine is consul-template).

For every case NAME.tmpl (here and in errors/) it
  1. finds the secret/secrets/pkiCert calls with literal arguments in the template
     (plus the "capture" list of NAME.json, for paths the template computes),
  2. captures the HTTP responses a fresh `bao server -dev` gives for them and stores
     them under "sources" in NAME.json (keeping the case's "env", "files", "options"),
  3. renders the template with `bao agent` (same env, files, delimiters and
     error_on_missing_key) and stores the output as NAME.out; for cases under errors/
     it checks that bao fails too and stores bao's message as NAME.bao-error.

Usage: regenerate.py [--bao PATH] [--check] [CASE...]
  --check  compare with the stored .out files instead of overwriting them.
Cases whose NAME.json says "bao": false are tresor-only (failed fetches, pending
data) and left alone. The Rust tests read only the stored files; they never need bao.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOKEN = "root"

# Data written to the dev server before capturing. `secret/` is the dev server's KV v2
# mount; `kv1/` is a KV v1 mount; `pki/` issues EC certificates for example.com.
KV2 = {
    "app": {"password": "s3cr<et>&", "user": "admin", "port": "5432"},
    "typed": {
        "n": 5, "f": 1.5, "neg": -3, "list": ["a", "b", 3], "t": True, "empty": "",
        "zero": 0, "emptylist": [], "emptymap": {},
        "nested": {"z": 1, "a": None, "inner": {"k": "v", "k2": ["x", "y"]}},
    },
    "multi/one": {"v": "1"},
    "multi/two": {"v": "2"},
    "multi/sub/three": {"v": "3"},
    "yaml": {
        "plain": "hello world", "colon": "a: b", "bool": "yes", "num": "1.5",
        "multi": "line1\nline2\n", "lead": " x", "quote": "it's \"q\"", "tab": "a\tb",
        "date": "2001-01-01", "empty": "",
    },
}
KV1 = {
    "db": {"username": "app", "password": "pw-1", "port": "5432"},
    "list/a": {"k": "a"},
    "list/b": {"k": "b"},
}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Bao:
    def __init__(self, binary):
        self.binary = binary
        self.port = free_port()
        self.addr = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [self.binary, "server", "-dev", f"-dev-root-token-id={TOKEN}",
             f"-dev-listen-address=127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        for _ in range(100):
            try:
                self.request("GET", "sys/health")
                return
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)
        raise SystemExit("bao server did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)

    def request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.addr}/v1/{path}", data=data, method=method,
                                     headers={"X-Vault-Token": TOKEN})
        with urllib.request.urlopen(req, timeout=10) as resp:
            text = resp.read().decode()
        return json.loads(text) if text else None

    def setup(self):
        for path, data in KV2.items():
            self.request("POST", f"secret/data/{path}", {"data": data})
        self.request("POST", "sys/mounts/kv1", {"type": "kv", "options": {"version": "1"}})
        for path, data in KV1.items():
            self.request("POST", f"kv1/{path}", data)
        self.request("POST", "sys/mounts/pki", {"type": "pki", "config": {"max_lease_ttl": "87600h"}})
        self.request("POST", "pki/root/generate/internal",
                     {"common_name": "example.com", "ttl": "87600h", "key_type": "ec"})
        self.request("POST", "pki/roles/example",
                     {"allowed_domains": "example.com", "allow_subdomains": True,
                      "key_type": "ec", "max_ttl": "72h"})


CALL = re.compile(r'\b(secret|secrets|pkiCert)((?:\s+"[^"]*")+)')


def calls(text):
    for m in CALL.finditer(text):
        args = re.findall(r'"([^"]*)"', m.group(2))
        func, path, rest = m.group(1), args[0], args[1:]
        params = {}
        for kv in rest:
            if kv:
                k, _, v = kv.partition("=")
                params[k.strip()] = v.strip()
        yield func, path, dict(sorted(params.items()))


def dep_key(func, path, params):
    return " ".join([func, path] + [f"{k}={v}" for k, v in params.items()])


def capture(bao, func, path, params):
    if func == "secrets":
        return bao.request("LIST", path)
    if func == "secret":
        return bao.request("PUT", path, params) if params else bao.request("GET", path)
    data = bao.request("PUT", path, params)["data"]
    pem = lambda s: s if s.endswith("\n") else s + "\n"
    return {"cert": pem(data["certificate"]), "key": pem(data["private_key"]),
            "ca": pem(data["issuing_ca"]),
            "ca_chain": [pem(c) for c in data.get("ca_chain") or []]}


def hcl_string(s):
    return json.dumps(s)


def render_with_agent(bao, case_dir, name, spec):
    work = tempfile.mkdtemp(prefix="golden-")
    try:
        for rel, contents in spec.get("files", {}).items():
            target = os.path.join(work, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w") as f:
                f.write(contents)
        with open(os.path.join(work, "token"), "w") as f:
            f.write(TOKEN)
        opts = spec.get("options", {})
        extra = ""
        if opts.get("error_on_missing_key"):
            extra += "  error_on_missing_key = true\n"
        if opts.get("left_delimiter"):
            extra += f"  left_delimiter = {hcl_string(opts['left_delimiter'])}\n"
        if opts.get("right_delimiter"):
            extra += f"  right_delimiter = {hcl_string(opts['right_delimiter'])}\n"
        config = f"""
vault {{ address = "{bao.addr}" }}
auto_auth {{ method "token_file" {{ config {{ token_file_path = "{work}/token" }} }} }}
template_config {{ exit_on_retry_failure = true }}
exit_after_auth = true
template {{
  source = "{os.path.join(case_dir, name + '.tmpl')}"
  destination = "{work}/out"
{extra}}}
"""
        with open(os.path.join(work, "agent.hcl"), "w") as f:
            f.write(config)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BAO_", "VAULT_"))}
        env.update(spec.get("env", {}))
        proc = subprocess.run([bao.binary, "agent", f"-config={work}/agent.hcl"], cwd=work,
                              env=env, capture_output=True, text=True, timeout=120,
                              start_new_session=True)
        out_path = os.path.join(work, "out")
        if proc.returncode == 0 and os.path.exists(out_path):
            with open(out_path) as f:
                return True, f.read()
        errors = re.findall(r'template server error: error="(.*?)" backoff', proc.stdout + proc.stderr)
        if not errors:
            return False, (proc.stdout + proc.stderr)[-2000:]
        message = errors[0].replace('\\"', '"')
        return False, message.replace(os.path.join(case_dir, name + ".tmpl") + ": ", "")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bao", default=shutil.which("bao") or os.path.join(
        HERE, "../../../../.venv/bin/bao"))
    ap.add_argument("--check", action="store_true")
    ap.add_argument("cases", nargs="*")
    args = ap.parse_args()

    bao = Bao(os.path.abspath(args.bao))
    bao.start()
    failures = 0
    try:
        bao.setup()
        for case_dir, expect_error in [(HERE, False), (os.path.join(HERE, "errors"), True)]:
            for fname in sorted(os.listdir(case_dir)):
                if not fname.endswith(".tmpl"):
                    continue
                name = fname[:-5]
                if args.cases and name not in args.cases:
                    continue
                json_path = os.path.join(case_dir, name + ".json")
                spec = {}
                if os.path.exists(json_path):
                    with open(json_path) as f:
                        spec = json.load(f)
                with open(os.path.join(case_dir, fname)) as f:
                    text = f.read()
                if spec.get("bao") is False:
                    print(f"skip {name} (not checked against bao)")
                    continue
                sources = {}
                wanted = list(calls(text))
                for key in spec.get("capture", []):
                    func, path, *kvs = key.split(" ")
                    wanted.append((func, path, dict(kv.split("=", 1) for kv in kvs)))
                for func, path, params in wanted:
                    try:
                        sources[dep_key(func, path, params)] = capture(bao, func, path, params)
                    except urllib.error.HTTPError:
                        pass  # a missing secret: left out, so the fake source fails it too
                for key, value in spec.get("files", {}).items():
                    sources[f"file {key}"] = value
                if sources or "sources" in spec:
                    spec["sources"] = sources
                if not args.check:
                    with open(json_path, "w") as f:
                        json.dump(spec, f, indent=2, sort_keys=True)
                        f.write("\n")
                ok, result = render_with_agent(bao, case_dir, name, spec)
                if expect_error:
                    if ok:
                        failures += 1
                        print(f"FAIL {name}: bao rendered it, an error was expected")
                    elif not args.check:
                        with open(os.path.join(case_dir, name + ".bao-error"), "w") as f:
                            f.write(result + "\n")
                    print(f"ok   errors/{name}")
                    continue
                if not ok:
                    failures += 1
                    print(f"FAIL {name}: bao failed: {result}")
                    continue
                out_path = os.path.join(case_dir, name + ".out")
                if args.check:
                    with open(out_path) as f:
                        if f.read() != result:
                            failures += 1
                            print(f"FAIL {name}: output differs from {name}.out")
                            continue
                else:
                    with open(out_path, "w") as f:
                        f.write(result)
                print(f"ok   {name}")
    finally:
        bao.stop()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
