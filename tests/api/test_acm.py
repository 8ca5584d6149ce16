#!/usr/bin/env python3
"""ACM on gatehoused (awsJson1_1, X-Amz-Target CertificateManager.*) driven by the real
clients: `aws acm ...` (CLI v1 on PATH and /usr/bin/aws v2) and boto3.

Checks: import with fileb:// blobs (certificate, key, chain), list/describe/get/delete,
OpenSSL validation (a key that does not match is a ValidationException), errors as JSON with
__type, SigV4 scoped to service "acm", in-use protection, durability across kill -9, ListCertificates paging (MaxItems/NextToken,
boto3's paginator, the CLIs' --max-items/--page-size) and its filters (CertificateStatuses,
Includes, SortBy).
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boto3  # noqa: E402
import botocore.config  # noqa: E402
import botocore.exceptions  # noqa: E402

import cvpn_pki  # noqa: E402
import ghapi  # noqa: E402


OLD_CA_CNF = """
[ ca ]
default_ca = old
[ old ]
dir = {d}
database = {d}/index.txt
serial = {d}/serial
new_certs_dir = {d}
default_md = sha256
policy = any
private_key = {d}/oldca.key
certificate = {d}/oldca.crt
[ any ]
commonName = supplied
[ req ]
distinguished_name = dn
[ dn ]
"""


def extra_certs(d):
    """An EC P-256 self-signed certificate and an RSA one that expired in 2020 (made with
    `openssl ca -startdate/-enddate`, since `req -days` refuses the past)."""
    os.makedirs(d, exist_ok=True)

    def run(args):
        subprocess.run(args, cwd=d, check=True, capture_output=True)

    cnf = os.path.join(d, "old.cnf")
    with open(cnf, "w") as f:
        f.write(OLD_CA_CNF.format(d=d))
    open(os.path.join(d, "index.txt"), "w").close()
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("01\n")
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30", "-subj", "/CN=ec.example",
         "-keyout", "ec.key", "-out", "ec.crt", "-config", cnf])
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
         "-subj", "/CN=old ca", "-keyout", "oldca.key", "-out", "oldca.crt", "-config", cnf])
    run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=old.example",
         "-keyout", "old.key", "-out", "old.csr", "-config", cnf])
    run(["openssl", "ca", "-batch", "-notext", "-config", cnf, "-startdate", "20200101000000Z",
         "-enddate", "20200201000000Z", "-in", "old.csr", "-out", "old.crt"])
    return {k: os.path.join(d, k) for k in ("ec.crt", "ec.key", "old.crt", "old.key")}


def acm_client(srv):
    return boto3.client("acm", endpoint_url=srv.url, region_name=ghapi.REGION,
                        aws_access_key_id=ghapi.AK, aws_secret_access_key=ghapi.SK,
                        config=botocore.config.Config(retries={"max_attempts": 1}))


class AcmTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="gh-acm-")
        cls.pki = cvpn_pki.Pki(os.path.join(cls.tmp, "pki"))
        cls.extra = extra_certs(os.path.join(cls.tmp, "extra"))

    def setUp(self):
        self.srv = ghapi.Server().start()
        self.addCleanup(self.srv.cleanup)
        self.acm = acm_client(self.srv)

    def import_cli(self, v2, crt, key, chain=None, check=True):
        args = ["acm", "import-certificate", "--certificate", "fileb://" + crt,
                "--private-key", "fileb://" + key]
        if chain:
            args += ["--certificate-chain", "fileb://" + chain]
        return self.srv.cli(args, v2=v2, check=check)

    def test_import_with_both_clis_and_describe(self):
        p = self.pki
        arns = []
        for v2 in (False, True):
            rc, out, _ = self.import_cli(v2, p.server_crt, p.server_key, p.ca_crt)
            self.assertEqual(rc, 0)
            self.assertRegex(out["CertificateArn"],
                             r"^arn:aws:acm:us-east-1:123456789012:certificate/"
                             r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                             r"[0-9a-f]{12}$")
            arns.append(out["CertificateArn"])
        self.assertNotEqual(arns[0], arns[1])
        d = self.acm.describe_certificate(CertificateArn=arns[0])["Certificate"]
        self.assertEqual(d["DomainName"], "server")
        self.assertEqual(d["Subject"], "CN=server")
        self.assertEqual(d["Issuer"], "CN=Gatehouse Test ca")
        self.assertEqual(d["SubjectAlternativeNames"], ["server.gatehouse.internal"])
        self.assertEqual(d["Type"], "IMPORTED")
        self.assertEqual(d["KeyAlgorithm"], "RSA_2048")
        self.assertLess(d["NotBefore"], d["NotAfter"])
        listed = self.acm.list_certificates()["CertificateSummaryList"]
        self.assertEqual(sorted(c["CertificateArn"] for c in listed), sorted(arns))
        got = self.acm.get_certificate(CertificateArn=arns[1])
        self.assertEqual(got["Certificate"].strip(), cvpn_pki.Pki.read(p.server_crt).strip())
        self.assertEqual(got["CertificateChain"].strip(), cvpn_pki.Pki.read(p.ca_crt).strip())
        self.assertNotIn("PRIVATE KEY", json.dumps(got))
        # CLI v1 describe prints the same document
        rc, out, _ = self.srv.cli(["acm", "describe-certificate", "--certificate-arn", arns[1]])
        self.assertEqual(out["Certificate"]["CertificateArn"], arns[1])

    def test_validation_errors(self):
        p = self.pki
        rc, out, err = self.import_cli(True, p.server_crt, p.other_key, check=False)
        self.assertEqual(rc, 254)
        self.assertIn("ValidationException", err)
        self.assertIn("does not match", err)
        rc, out, err = self.import_cli(False, p.server_key, p.server_key, check=False)
        self.assertEqual(rc, 255)
        self.assertIn("ValidationException", err)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.acm.import_certificate(Certificate=b"hello", PrivateKey=b"world")
        self.assertEqual(cm.exception.response["Error"]["Code"], "ValidationException")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.acm.import_certificate(Certificate=cvpn_pki.Pki.read(p.server_crt).encode(),
                                        PrivateKey=cvpn_pki.Pki.read(p.server_key).encode(),
                                        CertificateChain=b"-----BEGIN CERTIFICATE-----\nxx\n")
        self.assertEqual(cm.exception.response["Error"]["Code"], "ValidationException")
        self.assertEqual(self.acm.list_certificates()["CertificateSummaryList"], [])
        arn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000"
        for call in (self.acm.describe_certificate, self.acm.delete_certificate,
                     self.acm.get_certificate):
            with self.assertRaises(botocore.exceptions.ClientError) as cm:
                call(CertificateArn=arn)
            self.assertEqual(cm.exception.response["Error"]["Code"],
                             "ResourceNotFoundException")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.acm.describe_certificate(CertificateArn="arn:aws:acm:eu-west-1:1:certificate/x")
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidArnException")

    def test_json_errors_and_signing(self):
        body = b"{}"
        h = {"Content-Type": "application/x-amz-json-1.1",
             "X-Amz-Target": "CertificateManager.ListCertificates"}
        status, _, data = self.srv.raw(body=body, headers=h, service="acm")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(data), {"CertificateSummaryList": []})
        # scoped to ec2 instead of acm: AuthFailure, in JSON
        status, _, data = self.srv.raw(body=body, headers=h, service="ec2")
        self.assertEqual(status, 401)
        self.assertEqual(json.loads(data)["__type"], "AuthFailure")
        # unsigned
        status, _, data = self.srv.raw(body=body, headers=h, sign=False)
        self.assertEqual(json.loads(data)["__type"], "MissingAuthenticationToken")
        h["X-Amz-Target"] = "CertificateManager.RequestCertificate"
        status, _, data = self.srv.raw(body=body, headers=h, service="acm")
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(data)["__type"], "UnknownOperationException")
        h["X-Amz-Target"] = "CertificateManager.ListCertificates"
        status, _, data = self.srv.raw(body=b"[1,2", headers=h, service="acm")
        self.assertEqual(json.loads(data)["__type"], "SerializationException")

    def test_delete_in_use_and_durability(self):
        p = self.pki
        arn = self.acm.import_certificate(
            Certificate=cvpn_pki.Pki.read(p.server_crt).encode(),
            PrivateKey=cvpn_pki.Pki.read(p.server_key).encode(),
            CertificateChain=cvpn_pki.Pki.read(p.ca_crt).encode())["CertificateArn"]
        self.srv.kill9()
        self.srv.start()
        acm = acm_client(self.srv)
        self.assertEqual(acm.describe_certificate(CertificateArn=arn)["Certificate"]["Serial"],
                         acm.describe_certificate(CertificateArn=arn)["Certificate"]["Serial"])
        ec2 = self.srv.boto3()
        ep = ec2.create_client_vpn_endpoint(
            ClientCidrBlock="10.100.0.0/22", ServerCertificateArn=arn,
            AuthenticationOptions=[{"Type": "certificate-authentication",
                                    "MutualAuthentication": {
                                        "ClientRootCertificateChainArn": arn}}],
            ConnectionLogOptions={"Enabled": False})["ClientVpnEndpointId"]
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            acm.delete_certificate(CertificateArn=arn)
        self.assertEqual(cm.exception.response["Error"]["Code"], "ResourceInUseException")
        self.assertIn(ep, cm.exception.response["Error"]["Message"])
        self.assertEqual(acm.describe_certificate(CertificateArn=arn)["Certificate"]["InUseBy"],
                         [ep])
        ec2.delete_client_vpn_endpoint(ClientVpnEndpointId=ep)
        ghapi.wait_for(lambda: not ec2.describe_client_vpn_endpoints(
            Filters=[{"Name": "endpoint-id", "Values": [ep]}])["ClientVpnEndpoints"] or
            self._deleted(acm, arn), "endpoint purge or certificate free")
        rc, _, _ = self.srv.cli(["acm", "delete-certificate", "--certificate-arn", arn],
                                v2=True)
        self.assertEqual(rc, 0)
        self.assertEqual(acm.list_certificates()["CertificateSummaryList"], [])

    def test_local_import_tool(self):
        """gatehouse-acm import writes the daemon's store; the API then lists it."""
        import subprocess
        tool = os.path.join(os.path.dirname(ghapi.GATEHOUSED), "gatehouse-acm")
        p = self.pki
        self.srv.stop()
        out = subprocess.run([tool, "import", "--data-dir", self.srv.data,
                              "--certificate", p.server_crt, "--private-key", p.server_key,
                              "--certificate-chain", p.ca_crt], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        arn = out.stdout.strip()
        bad = subprocess.run([tool, "import", "--data-dir", self.srv.data,
                              "--certificate", p.server_crt, "--private-key", p.other_key],
                             capture_output=True, text=True)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("does not match", bad.stderr)
        self.srv.start()
        rc, out, _ = self.srv.cli(["acm", "list-certificates"], v2=True)
        self.assertEqual([c["CertificateArn"] for c in out["CertificateSummaryList"]], [arn])

    def imp(self, crt, key):
        return self.acm.import_certificate(Certificate=cvpn_pki.Pki.read(crt).encode(),
                                           PrivateKey=cvpn_pki.Pki.read(key).encode())[
                                               "CertificateArn"]

    def arns(self, **kw):
        return [c["CertificateArn"]
                for c in self.acm.list_certificates(**kw)["CertificateSummaryList"]]

    def acm_error(self, fn, **kw):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            fn(**kw)
        return cm.exception.response["Error"]["Code"]

    def raw_list(self, body):
        h = {"Content-Type": "application/x-amz-json-1.1",
             "X-Amz-Target": "CertificateManager.ListCertificates"}
        status, _, data = self.srv.raw(body=json.dumps(body).encode(), headers=h, service="acm")
        return status, json.loads(data)

    def test_list_paging(self):
        p, x = self.pki, self.extra
        servers = [self.imp(p.server_crt, p.server_key) for _ in range(3)]
        client = self.imp(p.client_crt, p.client_key)
        ca = self.imp(p.ca_crt, p.ca_key)
        old = self.imp(x["old.crt"], x["old.key"])
        ec = self.imp(x["ec.crt"], x["ec.key"])
        rsa = servers + [client, ca, old]
        # ACM's default: RSA_1024/RSA_2048 only, so the EC certificate needs Includes.keyTypes
        self.assertEqual(sorted(self.arns()), sorted(rsa))
        # boto3's paginator sends MaxItems and follows NextToken
        pages = list(self.acm.get_paginator("list_certificates").paginate(
            PaginationConfig={"PageSize": 2}))
        self.assertEqual([len(pg["CertificateSummaryList"]) for pg in pages], [2, 2, 2])
        self.assertTrue(all("NextToken" in pg for pg in pages[:-1]))
        self.assertNotIn("NextToken", pages[-1])
        flat = [c["CertificateArn"] for pg in pages for c in pg["CertificateSummaryList"]]
        self.assertEqual(flat, self.arns())  # same order, nothing twice
        one = self.acm.list_certificates(MaxItems=6)
        self.assertNotIn("NextToken", one)
        # a page continues after its last certificate even when one before it is deleted
        p1 = self.acm.list_certificates(MaxItems=2)
        self.acm.delete_certificate(CertificateArn=p1["CertificateSummaryList"][1]
                                    ["CertificateArn"])
        p2 = self.acm.list_certificates(MaxItems=10, NextToken=p1["NextToken"])
        self.assertEqual([c["CertificateArn"] for c in p2["CertificateSummaryList"]], flat[2:])
        # CLI v2 --max-items / --starting-token, CLI v1 --page-size (MaxItems 1 per call)
        rc, out, _ = self.srv.cli(["acm", "list-certificates", "--max-items", "2"], v2=True)
        self.assertEqual(len(out["CertificateSummaryList"]), 2)
        rc, out2, _ = self.srv.cli(["acm", "list-certificates", "--starting-token",
                                    out["NextToken"]], v2=True)
        self.assertEqual([c["CertificateArn"] for c in out["CertificateSummaryList"] +
                          out2["CertificateSummaryList"]], self.arns())
        rc, out, _ = self.srv.cli(["acm", "list-certificates", "--page-size", "1"])
        self.assertEqual([c["CertificateArn"] for c in out["CertificateSummaryList"]],
                         self.arns())
        self.assertEqual(len(self.arns(Includes={"keyTypes": ["RSA_2048", "EC_prime256v1"]})),
                         len(rsa))  # 7 imported, one deleted
        self.assertIn(ec, self.arns(Includes={"keyTypes": ["RSA_2048", "EC_prime256v1"]}))

    def test_list_filters_and_sort(self):
        p, x = self.pki, self.extra
        server = self.imp(p.server_crt, p.server_key)
        client = self.imp(p.client_crt, p.client_key)
        ca = self.imp(p.ca_crt, p.ca_key)
        old = self.imp(x["old.crt"], x["old.key"])
        ec = self.imp(x["ec.crt"], x["ec.key"])
        self.assertEqual(self.arns(Includes={"keyTypes": ["EC_prime256v1"]}), [ec])
        # CertificateStatuses: an imported certificate past NotAfter is EXPIRED
        self.assertEqual(self.arns(CertificateStatuses=["EXPIRED"]), [old])
        self.assertEqual(sorted(self.arns(CertificateStatuses=["ISSUED", "REVOKED"])),
                         sorted([server, client, ca]))
        self.assertEqual(self.acm.describe_certificate(CertificateArn=old)["Certificate"]
                         ["Status"], "EXPIRED")
        # key usages from the certificates' extensions (cvpn_pki.py's profiles)
        eku = lambda *v: self.arns(Includes={"extendedKeyUsage": list(v)})  # noqa: E731
        self.assertEqual(eku("TLS_WEB_SERVER_AUTHENTICATION"), [server])
        self.assertEqual(eku("TLS_WEB_CLIENT_AUTHENTICATION"), [client])
        self.assertEqual(sorted(eku("NONE")), sorted([ca, old]))
        self.assertEqual(self.arns(Includes={"keyUsage": ["CERTIFICATE_SIGNING"]}), [ca])
        self.assertEqual(sorted(self.arns(Includes={"keyUsage": ["DIGITAL_SIGNATURE"],
                                                    "keyTypes": ["RSA_2048"]})),
                         sorted([server, client]))
        self.assertEqual(self.arns(Includes={"exportOption": "ENABLED"}), [])
        summ = {c["CertificateArn"]: c for c in
                self.acm.list_certificates()["CertificateSummaryList"]}
        self.assertEqual(summ[server]["KeyUsages"], ["DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"])
        self.assertEqual(summ[server]["ExtendedKeyUsages"], ["TLS_WEB_SERVER_AUTHENTICATION"])
        self.assertEqual(summ[old]["Status"], "EXPIRED")
        # SortBy CREATED_AT: descending is ascending reversed, and pages keep the order
        asc = self.arns(SortBy="CREATED_AT", SortOrder="ASCENDING")
        desc = self.arns(SortBy="CREATED_AT", SortOrder="DESCENDING")
        self.assertEqual(sorted(asc), sorted([server, client, ca, old]))
        self.assertEqual(desc, asc[::-1])
        pages = self.acm.get_paginator("list_certificates").paginate(
            SortBy="CREATED_AT", SortOrder="DESCENDING", PaginationConfig={"PageSize": 3})
        self.assertEqual([c["CertificateArn"] for pg in pages
                          for c in pg["CertificateSummaryList"]], desc)
        # the CLI's shorthand for the same members
        rc, out, _ = self.srv.cli(["acm", "list-certificates", "--certificate-statuses",
                                   "EXPIRED"], v2=True)
        self.assertEqual([c["CertificateArn"] for c in out["CertificateSummaryList"]], [old])
        rc, out, _ = self.srv.cli(["acm", "list-certificates", "--includes",
                                   "keyTypes=EC_prime256v1"])
        self.assertEqual([c["CertificateArn"] for c in out["CertificateSummaryList"]], [ec])

    def test_list_validation(self):
        self.imp(self.pki.server_crt, self.pki.server_key)
        lc = self.acm.list_certificates
        self.assertEqual(self.acm_error(lc, MaxItems=1001), "ValidationException")
        self.assertEqual(self.acm_error(lc, NextToken="bogus"), "InvalidArgsException")
        tok = lc(MaxItems=1)  # one certificate: no token; make one from a two-item list
        self.assertNotIn("NextToken", tok)
        self.imp(self.pki.server_crt, self.pki.server_key)
        tok = lc(MaxItems=1)["NextToken"]
        self.assertEqual(self.acm_error(lc, NextToken=tok, SortBy="CREATED_AT"),
                         "InvalidArgsException")  # a token of the other order
        for body, code in (({"MaxItems": 0}, "ValidationException"),
                           ({"MaxItems": "2"}, "SerializationException"),
                           ({"NextToken": ""}, "ValidationException"),
                           ({"CertificateStatuses": ["NOPE"]}, "ValidationException"),
                           ({"CertificateStatuses": "ISSUED"}, "SerializationException"),
                           ({"Includes": {"keyTypes": ["RSA_9"]}}, "ValidationException"),
                           ({"Includes": {"keyUsage": ["SIGNING"]}}, "ValidationException"),
                           ({"SortBy": "NAME"}, "ValidationException"),
                           ({"SortOrder": "UP"}, "ValidationException")):
            status, out = self.raw_list(body)
            self.assertEqual((status, out["__type"]), (400, code), body)
        status, out = self.raw_list({"MaxItems": 1000})
        self.assertEqual((status, len(out["CertificateSummaryList"])), (200, 2))
        rc, _, err = self.srv.cli(["acm", "list-certificates", "--certificate-statuses",
                                   "NOPE"], v2=True, check=False)
        self.assertNotEqual(rc, 0)
        self.assertIn("NOPE", err)

    @staticmethod
    def _deleted(acm, arn):
        return not acm.describe_certificate(CertificateArn=arn)["Certificate"]["InUseBy"]


if __name__ == "__main__":
    ghapi.run_tests([AcmTest])
