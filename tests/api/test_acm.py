#!/usr/bin/env python3
"""ACM on gatehoused (awsJson1_1, X-Amz-Target CertificateManager.*) driven by the real
clients: `aws acm ...` (CLI v1 on PATH and /usr/bin/aws v2) and boto3.

Checks: import with fileb:// blobs (certificate, key, chain), list/describe/get/delete,
OpenSSL validation (a key that does not match is a ValidationException), errors as JSON with
__type, SigV4 scoped to service "acm", in-use protection, durability across kill -9.
"""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boto3  # noqa: E402
import botocore.config  # noqa: E402
import botocore.exceptions  # noqa: E402

import cvpn_pki  # noqa: E402
import ghapi  # noqa: E402


def acm_client(srv):
    return boto3.client("acm", endpoint_url=srv.url, region_name=ghapi.REGION,
                        aws_access_key_id=ghapi.AK, aws_secret_access_key=ghapi.SK,
                        config=botocore.config.Config(retries={"max_attempts": 1}))


class AcmTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="gh-acm-")
        cls.pki = cvpn_pki.Pki(os.path.join(cls.tmp, "pki"))

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

    @staticmethod
    def _deleted(acm, arn):
        return not acm.describe_certificate(CertificateArn=arn)["Certificate"]["InUseBy"]


if __name__ == "__main__":
    ghapi.run_tests([AcmTest])
