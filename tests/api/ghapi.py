"""Shared helpers for the EC2 API tests: start/stop gatehoused, clients, raw signed requests.

    from ghapi import Server
    with Server() as srv:            # gatehoused on a free loopback port, temp data dir
        ec2 = srv.boto3()            # boto3 EC2 client pointed at it
        out = srv.cli(["ec2", "describe-vpcs"], v2=True)   # AWS CLI v1 (aws) or v2 (/usr/bin/aws)
        status, body = srv.raw({"Action": "DescribeVpcs", "Version": "2016-11-15"})

The daemon binary comes from $GATEHOUSED (default build/gatehoused). Every test that needs a
stop/restart uses srv.kill9() / srv.restart() with the same data dir.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import http.client
import xml.etree.ElementTree as ET

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GATEHOUSED = os.environ.get("GATEHOUSED", os.path.join(ROOT, "build", "gatehoused"))
AK = "AKIDGATEHOUSETEST"
SK = "gatehouse/test+secret"
REGION = "us-east-1"
CLI_V2 = "/usr/bin/aws"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, state_delay_ms=200, retention_s=3, extra=None):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="gh-api-")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "gatehoused.log")
        self.args = [GATEHOUSED, "--listen", "127.0.0.1:%d" % self.port, "--data-dir", self.data,
                     "--access-key", AK, "--secret-key", SK, "--region", REGION,
                     "--state-delay-ms", str(state_delay_ms),
                     "--deleted-retention-s", str(retention_s)] + (extra or [])
        self.proc = None
        self.url = "http://127.0.0.1:%d" % self.port

    # -- lifecycle --
    def start(self):
        logf = open(self.log, "a")
        self.proc = subprocess.Popen(self.args, stdout=logf, stderr=logf)
        logf.close()
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gatehoused exited: %s" % self.logtext())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("gatehoused did not start listening: %s" % self.logtext())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode if self.proc else None
        self.proc = None
        return rc

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def restart(self):
        self.stop()
        return self.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def logtext(self):
        try:
            with open(self.log) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    # -- clients --
    def boto3(self, region=REGION, ak=AK, sk=SK):
        return boto3.client("ec2", endpoint_url=self.url, region_name=region,
                            aws_access_key_id=ak, aws_secret_access_key=sk,
                            config=botocore.config.Config(retries={"max_attempts": 1}))

    def cli_env(self):
        env = dict(os.environ)
        env.update({"AWS_ACCESS_KEY_ID": AK, "AWS_SECRET_ACCESS_KEY": SK,
                    "AWS_DEFAULT_REGION": REGION, "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1",
                    "AWS_CONFIG_FILE": os.path.join(self.dir, "nonexistent-config"),
                    "AWS_SHARED_CREDENTIALS_FILE": os.path.join(self.dir, "nonexistent-creds")})
        env.pop("AWS_PROFILE", None)
        env.pop("AWS_SESSION_TOKEN", None)
        return env

    def cli(self, args, v2=False, check=True):
        """Run the AWS CLI (v1 `aws` on PATH, or v2 /usr/bin/aws); returns (rc, json|None, stderr)."""
        exe = CLI_V2 if v2 else shutil.which("aws")
        p = subprocess.run([exe] + args + ["--endpoint-url", self.url, "--output", "json"],
                           env=self.cli_env(), capture_output=True, text=True, timeout=120)
        if check and p.returncode != 0:
            raise AssertionError("%s %s failed (%d): %s" % (exe, args, p.returncode, p.stderr))
        out = json.loads(p.stdout) if p.stdout.strip() else None
        return p.returncode, out, p.stderr

    # -- raw HTTP --
    def sign(self, method, body=b"", query="", headers=None, ak=AK, sk=SK, region=REGION,
             service="ec2"):
        url = self.url + "/" + ("?" + query if query else "")
        h = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        h.update(headers or {})
        req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body, headers=h)
        botocore.auth.SigV4Auth(botocore.credentials.Credentials(ak, sk), service,
                                region).add_auth(req)
        return dict(req.headers.items())

    def raw(self, params=None, body=None, method="POST", sign=True, headers=None, query="",
            timeout=30, **signkw):
        """Send one request; returns (status, parsed XML root or None, raw body bytes)."""
        if body is None:
            body = urllib.parse.urlencode(params or {}).encode()
        h = self.sign(method, body, query, headers, **signkw) if sign else \
            dict({"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                 **(headers or {}))
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        conn.request(method, "/" + ("?" + query if query else ""), body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        try:
            root = ET.fromstring(data)
        except ET.ParseError:
            root = None
        return r.status, root, data


def error_code(root):
    """The <Code> of an EC2 error envelope (None when not an error envelope)."""
    if root is None or root.tag != "Response":
        return None
    e = root.find("./Errors/Error/Code")
    return e.text if e is not None else None


def wait_for(fn, what, timeout=30.0, interval=0.1):
    """Poll fn() until it returns a truthy value (never asserts a duration)."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


def run_tests(cls_list):
    """unittest main for a list of TestCase classes; exits non-zero on failure."""
    import unittest
    suite = unittest.TestSuite()
    for c in cls_list:
        suite.addTests(unittest.defaultTestLoader.loadTestsFromTestCase(c))
    res = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if res.wasSuccessful() else 1)


def sigv4_headers(port, body, amz_date, ak=AK, sk=SK, region=REGION, service="ec2",
                  method="POST", query=""):
    """An independent SigV4 signer (hashlib/hmac) for a chosen X-Amz-Date, e.g. a stale one."""
    import hashlib
    import hmac

    host = "127.0.0.1:%d" % port
    ctype = "application/x-www-form-urlencoded; charset=utf-8"
    date = amz_date[:8]
    canon_q = "&".join(sorted(query.split("&"))) if query else ""
    creq = "\n".join([method, "/", canon_q,
                      "content-type:%s\nhost:%s\nx-amz-date:%s\n" % (ctype, host, amz_date),
                      "content-type;host;x-amz-date", hashlib.sha256(body).hexdigest()])
    scope = "%s/%s/%s/aws4_request" % (date, region, service)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    k = ("AWS4" + sk).encode()
    for part in (date, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": ctype, "Host": host, "X-Amz-Date": amz_date,
            "Authorization": "AWS4-HMAC-SHA256 Credential=%s/%s, "
                             "SignedHeaders=content-type;host;x-amz-date, Signature=%s"
                             % (ak, scope, sig)}
