#!/usr/bin/env python3
"""EC2 API core against real clients: boto3, AWS CLI v1 (aws) and v2 (/usr/bin/aws), raw HTTP.

Starts build/gatehoused (or $GATEHOUSED) on a free loopback port with a temp data dir.
Exit status 0 = every test passed.
"""
import datetime
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import botocore.exceptions  # noqa: E402
from ghapi import (AK, REGION, Server, error_code, run_tests, sigv4_headers,  # noqa: E402
                   wait_for)


def client_error(fn, *a, **kw):
    """Call fn, expect a ClientError; return (code, http status, message)."""
    try:
        fn(*a, **kw)
    except botocore.exceptions.ClientError as e:
        return (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"],
                e.response["Error"].get("Message", ""))
    raise AssertionError("expected an error from %s" % fn)


class ServerCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server().start()
        cls.ec2 = cls.srv.boto3()

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        cls.srv.cleanup()
        if rc != 0:
            raise AssertionError("gatehoused did not stop cleanly on SIGTERM: %r" % rc)

    def state_of(self, kind, rid):
        if kind == "cgw":
            r = self.ec2.describe_customer_gateways(CustomerGatewayIds=[rid])
            return r["CustomerGateways"][0]["State"]
        if kind == "vgw":
            return self.ec2.describe_vpn_gateways(VpnGatewayIds=[rid])["VpnGateways"][0]["State"]
        return self.ec2.describe_vpcs(VpcIds=[rid])["Vpcs"][0]["State"]

    def wait_state(self, kind, rid, state):
        wait_for(lambda: self.state_of(kind, rid) == state, "%s %s %s" % (kind, rid, state))


class TestGettingStarted(ServerCase):
    """site-to-site.md 9.1 up to VGW attach + route propagation, then 9.5's delete rules."""

    def test_flow(self):
        ec2 = self.ec2
        cgw = ec2.create_customer_gateway(
            Type="ipsec.1", IpAddress="203.0.113.10", BgpAsn=65010, DeviceName="edge-1",
            TagSpecifications=[{"ResourceType": "customer-gateway",
                                "Tags": [{"Key": "Name", "Value": "site-a"}]}])["CustomerGateway"]
        self.assertTrue(cgw["CustomerGatewayId"].startswith("cgw-"))
        self.assertEqual(len(cgw["CustomerGatewayId"]), 4 + 17)
        self.assertEqual(cgw["BgpAsn"], "65010")
        self.assertEqual(cgw["DeviceName"], "edge-1")
        self.assertEqual(cgw["Tags"], [{"Key": "Name", "Value": "site-a"}])
        self.assertIn(cgw["State"], ("pending", "available"))
        ec2.get_waiter("customer_gateway_available").config.delay = 1
        self.wait_state("cgw", cgw["CustomerGatewayId"], "available")

        vgw = ec2.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=65001)["VpnGateway"]
        self.assertEqual(vgw["AmazonSideAsn"], 65001)
        vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]
        self.assertEqual(vpc["CidrBlock"], "10.20.0.0/16")
        self.wait_state("vgw", vgw["VpnGatewayId"], "available")
        self.wait_state("vpc", vpc["VpcId"], "available")

        att = ec2.attach_vpn_gateway(VpnGatewayId=vgw["VpnGatewayId"], VpcId=vpc["VpcId"])
        self.assertEqual(att["VpcAttachment"], {"VpcId": vpc["VpcId"], "State": "attaching"})
        wait_for(lambda: ec2.describe_vpn_gateways(
            Filters=[{"Name": "attachment.state", "Values": ["attached"]},
                     {"Name": "attachment.vpc-id", "Values": [vpc["VpcId"]]}])["VpnGateways"],
                 "VGW attached")

        rtbs = ec2.describe_route_tables(
            Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["RouteTables"]
        self.assertEqual(len(rtbs), 1)
        rtb = rtbs[0]
        self.assertTrue(rtb["Associations"][0]["Main"])
        self.assertEqual(rtb["Routes"], [{"DestinationCidrBlock": "10.20.0.0/16",
                                          "GatewayId": "local", "Origin": "CreateRouteTable",
                                          "State": "active"}])
        rid = rtb["RouteTableId"]
        ec2.enable_vgw_route_propagation(GatewayId=vgw["VpnGatewayId"], RouteTableId=rid)
        rtb = ec2.describe_route_tables(RouteTableIds=[rid])["RouteTables"][0]
        self.assertEqual(rtb["PropagatingVgws"], [{"GatewayId": vgw["VpnGatewayId"]}])
        ec2.create_route(RouteTableId=rid, DestinationCidrBlock="192.168.50.0/24",
                         GatewayId=vgw["VpnGatewayId"])
        code, _, _ = client_error(ec2.create_route, RouteTableId=rid,
                                  DestinationCidrBlock="192.168.50.0/24",
                                  GatewayId=vgw["VpnGatewayId"])
        self.assertEqual(code, "RouteAlreadyExists")
        found = ec2.describe_route_tables(Filters=[
            {"Name": "route.gateway-id", "Values": [vgw["VpnGatewayId"]]}])["RouteTables"]
        self.assertEqual([t["RouteTableId"] for t in found], [rid])
        routes = {r["DestinationCidrBlock"]: r for r in found[0]["Routes"]}
        self.assertEqual(routes["192.168.50.0/24"]["State"], "active")
        self.assertEqual(routes["192.168.50.0/24"]["Origin"], "CreateRoute")
        code, _, _ = client_error(ec2.delete_route, RouteTableId=rid,
                                  DestinationCidrBlock="10.20.0.0/16")
        self.assertEqual(code, "InvalidParameterValue")

        # Delete rules: attached VGW cannot go; VPC with a VGW cannot go.
        code, status, msg = client_error(ec2.delete_vpn_gateway, VpnGatewayId=vgw["VpnGatewayId"])
        self.assertEqual(code, "IncorrectState")
        self.assertGreaterEqual(status, 400)
        code, _, _ = client_error(ec2.delete_vpc, VpcId=vpc["VpcId"])
        self.assertEqual(code, "DependencyViolation")
        # A second VGW cannot attach to the same VPC (G:5611).
        vgw2 = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]
        self.assertEqual(vgw2["AmazonSideAsn"], 64512)
        self.wait_state("vgw", vgw2["VpnGatewayId"], "available")
        code, _, _ = client_error(ec2.attach_vpn_gateway, VpnGatewayId=vgw2["VpnGatewayId"],
                                  VpcId=vpc["VpcId"])
        self.assertEqual(code, "InvalidVpcState")

        ec2.disable_vgw_route_propagation(GatewayId=vgw["VpnGatewayId"], RouteTableId=rid)
        self.assertEqual(ec2.describe_route_tables(RouteTableIds=[rid])["RouteTables"][0]
                         .get("PropagatingVgws", []), [])
        ec2.detach_vpn_gateway(VpnGatewayId=vgw["VpnGatewayId"], VpcId=vpc["VpcId"])
        code, _, _ = client_error(ec2.detach_vpn_gateway, VpnGatewayId=vgw["VpnGatewayId"],
                                  VpcId=vpc["VpcId"])
        self.assertEqual(code, "InvalidVpnGatewayAttachment.NotFound")
        wait_for(lambda: [a["State"] for a in ec2.describe_vpn_gateways(
            VpnGatewayIds=[vgw["VpnGatewayId"]])["VpnGateways"][0]["VpcAttachments"]]
            in (["detached"], []), "detached (then purged)")
        # The route to the detached VGW is now a blackhole.
        rt = ec2.describe_route_tables(RouteTableIds=[rid])["RouteTables"][0]["Routes"]
        self.assertEqual([r["State"] for r in rt if r.get("GatewayId") == vgw["VpnGatewayId"]],
                         ["blackhole"])
        ec2.delete_vpn_gateway(VpnGatewayId=vgw["VpnGatewayId"])
        self.wait_state("vgw", vgw["VpnGatewayId"], "deleted")
        # deleted stays visible for a while, then the entry is removed (G:4226).
        wait_for(lambda: not any(g["VpnGatewayId"] == vgw["VpnGatewayId"]
                                 for g in ec2.describe_vpn_gateways()["VpnGateways"]), "purge")
        code, _, _ = client_error(ec2.describe_vpn_gateways, VpnGatewayIds=[vgw["VpnGatewayId"]])
        self.assertEqual(code, "InvalidVpnGatewayID.NotFound")

        ec2.delete_customer_gateway(CustomerGatewayId=cgw["CustomerGatewayId"])
        wait_for(lambda: self.state_of("cgw", cgw["CustomerGatewayId"]) == "deleted", "cgw deleted")
        ec2.delete_route(RouteTableId=rid, DestinationCidrBlock="192.168.50.0/24")
        ec2.delete_vpc(VpcId=vpc["VpcId"])
        self.assertEqual(ec2.describe_route_tables(
            Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["RouteTables"], [])
        ec2.delete_vpn_gateway(VpnGatewayId=vgw2["VpnGatewayId"])


class TestResourceRules(ServerCase):
    def test_cgw_asn_rules(self):
        ec2 = self.ec2
        c = ec2.create_customer_gateway(Type="ipsec.1", IpAddress="198.51.100.1")
        self.assertEqual(c["CustomerGateway"]["BgpAsn"], "65000")  # G:770 default
        # Identical request returns the existing gateway.
        again = ec2.create_customer_gateway(Type="ipsec.1", IpAddress="198.51.100.1")
        self.assertEqual(again["CustomerGateway"]["CustomerGatewayId"],
                         c["CustomerGateway"]["CustomerGatewayId"])
        code, status, msg = client_error(ec2.create_customer_gateway, Type="ipsec.1",
                                         IpAddress="198.51.100.2", BgpAsn=7224)
        self.assertEqual((code, status), ("InvalidParameterValue", 400))
        self.assertIn("7224", msg)
        # 9059 is reserved only in eu-west-1.
        ec2.create_customer_gateway(Type="ipsec.1", IpAddress="198.51.100.3", BgpAsn=9059)
        code, _, _ = client_error(ec2.create_customer_gateway, Type="ipsec.1",
                                  IpAddress="198.51.100.4", BgpAsnExtended=4200000000)
        self.assertEqual(code, "InvalidParameterValue")
        ext = ec2.create_customer_gateway(Type="ipsec.1", IpAddress="198.51.100.5",
                                          BgpAsnExtended=4294967295)["CustomerGateway"]
        self.assertEqual(ext["BgpAsnExtended"], "4294967295")
        self.assertNotIn("BgpAsn", ext)
        code, _, _ = client_error(ec2.create_customer_gateway, Type="ipsec.1")
        self.assertEqual(code, "MissingParameter")
        code, _, _ = client_error(ec2.create_customer_gateway, Type="ipsec.1",
                                  IpAddress="not-an-ip")
        self.assertEqual(code, "InvalidParameterValue")
        cert = ec2.create_customer_gateway(
            Type="ipsec.1", CertificateArn="arn:aws:acm:us-east-1:123456789012:certificate/x")
        self.assertNotIn("IpAddress", cert["CustomerGateway"])
        code, _, _ = client_error(ec2.delete_customer_gateway, CustomerGatewayId="cgw-0000000000000000f")
        self.assertEqual(code, "InvalidCustomerGatewayID.NotFound")

    def test_vgw_asn_rules(self):
        ec2 = self.ec2
        for bad in (64511, 65535, 4199999999, 4294967295):
            code, _, msg = client_error(ec2.create_vpn_gateway, Type="ipsec.1", AmazonSideAsn=bad)
            self.assertEqual(code, "InvalidParameterValue", bad)
            self.assertIn("64512", msg)
        ids = []
        for good in (64512, 65534, 4200000000, 4294967294):
            g = ec2.create_vpn_gateway(Type="ipsec.1", AmazonSideAsn=good)["VpnGateway"]
            self.assertEqual(g["AmazonSideAsn"], good)
            ids.append(g["VpnGatewayId"])
        for i in ids:
            self.wait_state("vgw", i, "available")
            ec2.delete_vpn_gateway(VpnGatewayId=i)

    def test_dry_run(self):
        code, status, msg = client_error(self.ec2.create_vpn_gateway, Type="ipsec.1", DryRun=True)
        self.assertEqual((code, status), ("DryRunOperation", 412))
        self.assertEqual(msg, "Request would have succeeded, but DryRun flag is set.")


class TestQuotas(unittest.TestCase):
    def test_quotas(self):
        with Server(state_delay_ms=50) as srv:
            ec2 = srv.boto3()
            for i in range(50):
                ec2.create_customer_gateway(Type="ipsec.1", IpAddress="192.0.2.%d" % (i + 1))
            code, _, _ = client_error(ec2.create_customer_gateway, Type="ipsec.1",
                                      IpAddress="192.0.2.200")
            self.assertEqual(code, "CustomerGatewayLimitExceeded")  # G:5600
            for i in range(5):
                ec2.create_vpn_gateway(Type="ipsec.1")
            code, _, _ = client_error(ec2.create_vpn_gateway, Type="ipsec.1")
            self.assertEqual(code, "VpnGatewayLimitExceeded")  # G:5601


class TestTagsFiltersPages(ServerCase):
    def test_tags_filters(self):
        ec2 = self.ec2
        a = ec2.create_customer_gateway(Type="ipsec.1", IpAddress="203.0.113.21")
        b = ec2.create_customer_gateway(Type="ipsec.1", IpAddress="203.0.113.22", BgpAsn=65022)
        a = a["CustomerGateway"]["CustomerGatewayId"]
        b = b["CustomerGateway"]["CustomerGatewayId"]
        ec2.create_tags(Resources=[a, b], Tags=[{"Key": "env", "Value": "prod"}])
        ec2.create_tags(Resources=[b], Tags=[{"Key": "owner", "Value": "team a&b <x>"}])

        def ids(filters):
            r = ec2.describe_customer_gateways(Filters=filters)["CustomerGateways"]
            return sorted(g["CustomerGatewayId"] for g in r)

        self.assertEqual(ids([{"Name": "tag:env", "Values": ["prod"]}]), sorted([a, b]))
        self.assertEqual(ids([{"Name": "tag-key", "Values": ["owner"]}]), [b])
        self.assertEqual(ids([{"Name": "tag:owner", "Values": ["team a&b <x>"]}]), [b])
        self.assertEqual(ids([{"Name": "bgp-asn", "Values": ["65022"]},
                              {"Name": "tag:env", "Values": ["prod", "dev"]}]), [b])
        self.assertEqual(ids([{"Name": "ip-address", "Values": ["203.0.113.2?"]},
                              {"Name": "customer-gateway-id", "Values": [a]}]), [a])
        code, _, _ = client_error(ec2.describe_customer_gateways,
                                  Filters=[{"Name": "no-such-filter", "Values": ["x"]}])
        self.assertEqual(code, "InvalidParameterValue")
        # DeleteTags with a different value keeps the tag; with no value removes it.
        ec2.delete_tags(Resources=[a], Tags=[{"Key": "env", "Value": "dev"}])
        self.assertEqual(ids([{"Name": "tag:env", "Values": ["prod"]}]), sorted([a, b]))
        ec2.delete_tags(Resources=[a], Tags=[{"Key": "env"}])
        self.assertEqual(ids([{"Name": "tag:env", "Values": ["prod"]}]), [b])
        tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [b]}])["Tags"]
        self.assertEqual(sorted((t["Key"], t["Value"], t["ResourceType"]) for t in tags),
                         [("env", "prod", "customer-gateway"),
                          ("owner", "team a&b <x>", "customer-gateway")])
        code, _, _ = client_error(ec2.create_tags, Resources=["cgw-00000000000000000"],
                                  Tags=[{"Key": "k", "Value": "v"}])
        self.assertEqual(code, "InvalidCustomerGatewayID.NotFound")
        code, _, _ = client_error(ec2.create_tags, Resources=[a],
                                  Tags=[{"Key": "aws:reserved", "Value": "v"}])
        self.assertEqual(code, "InvalidParameterValue")
        # Delete-all without Tag.N.
        ec2.delete_tags(Resources=[b])
        self.assertEqual(ec2.describe_tags(Filters=[{"Name": "resource-id",
                                                     "Values": [b]}])["Tags"], [])

    def test_pagination(self):
        ec2 = self.ec2
        vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
        want = {("k%02d" % i, "v%d" % i) for i in range(13)}
        ec2.create_tags(Resources=[vpc], Tags=[{"Key": k, "Value": v} for k, v in want])
        got, token, pages = set(), None, 0
        while True:
            kw = {"MaxResults": 5, "Filters": [{"Name": "resource-id", "Values": [vpc]}]}
            if token:
                kw["NextToken"] = token
            r = ec2.describe_tags(**kw)
            self.assertLessEqual(len(r["Tags"]), 5)
            got |= {(t["Key"], t["Value"]) for t in r["Tags"]}
            pages += 1
            token = r.get("NextToken")
            if not token:
                break
        self.assertEqual(got, want)
        self.assertEqual(pages, 3)
        # botocore's paginator agrees.
        pag = ec2.get_paginator("describe_tags").paginate(
            Filters=[{"Name": "resource-id", "Values": [vpc]}], PaginationConfig={"PageSize": 6})
        self.assertEqual({(t["Key"], t["Value"]) for p in pag for t in p["Tags"]}, want)
        code, _, _ = client_error(ec2.describe_tags, NextToken="garbage")
        self.assertEqual(code, "InvalidNextToken")
        code, _, _ = client_error(ec2.describe_route_tables, MaxResults=101)
        self.assertEqual(code, "InvalidParameterValue")
        ec2.delete_vpc(VpcId=vpc)


class TestCli(ServerCase):
    """The same operations through AWS CLI v1 (aws) and v2 (/usr/bin/aws)."""

    def run_cli(self, v2):
        srv = self.srv
        ip = "203.0.113.%d" % (60 if v2 else 61)
        _, out, _ = srv.cli(["ec2", "create-customer-gateway", "--type", "ipsec.1",
                             "--ip-address", ip, "--bgp-asn", "65100", "--tag-specifications",
                             "ResourceType=customer-gateway,Tags=[{Key=Name,Value=cli}]"], v2=v2)
        cgw = out["CustomerGateway"]["CustomerGatewayId"]
        _, out, _ = srv.cli(["ec2", "describe-customer-gateways", "--filters",
                             "Name=ip-address,Values=%s" % ip], v2=v2)
        self.assertEqual([g["CustomerGatewayId"] for g in out["CustomerGateways"]], [cgw])
        _, out, _ = srv.cli(["ec2", "create-vpn-gateway", "--type", "ipsec.1"], v2=v2)
        vgw = out["VpnGateway"]["VpnGatewayId"]
        _, out, _ = srv.cli(["ec2", "create-vpc", "--cidr-block", "10.9%d.0.0/16" % v2], v2=v2)
        vpc = out["Vpc"]["VpcId"]
        self.wait_state("vgw", vgw, "available")
        self.wait_state("vpc", vpc, "available")
        _, out, _ = srv.cli(["ec2", "attach-vpn-gateway", "--vpn-gateway-id", vgw,
                             "--vpc-id", vpc], v2=v2)
        self.assertEqual(out["VpcAttachment"]["State"], "attaching")
        wait_for(lambda: srv.cli(["ec2", "describe-vpn-gateways", "--vpn-gateway-ids", vgw],
                                 v2=v2)[1]["VpnGateways"][0]["VpcAttachments"][0]["State"]
                 == "attached", "attached via CLI")
        _, out, _ = srv.cli(["ec2", "describe-route-tables", "--filters",
                             "Name=vpc-id,Values=%s" % vpc], v2=v2)
        rtb = out["RouteTables"][0]["RouteTableId"]
        rc, out, _ = srv.cli(["ec2", "enable-vgw-route-propagation", "--gateway-id", vgw,
                              "--route-table-id", rtb], v2=v2)
        self.assertEqual(rc, 0)
        _, out, _ = srv.cli(["ec2", "describe-route-tables", "--route-table-ids", rtb], v2=v2)
        self.assertEqual(out["RouteTables"][0]["PropagatingVgws"], [{"GatewayId": vgw}])
        # A service error: exit 254 (v2) / 255 (v1) with the EC2 code on stderr.
        rc, _, err = srv.cli(["ec2", "delete-vpn-gateway", "--vpn-gateway-id", vgw], v2=v2,
                             check=False)
        self.assertEqual(rc, 254 if v2 else 255)
        self.assertIn("(IncorrectState)", err)
        _, out, _ = srv.cli(["ec2", "describe-tags", "--filters", "Name=key,Values=Name",
                             "Name=resource-id,Values=%s" % cgw], v2=v2)
        self.assertEqual(out["Tags"], [{"Key": "Name", "ResourceId": cgw,
                                        "ResourceType": "customer-gateway", "Value": "cli"}])
        srv.cli(["ec2", "detach-vpn-gateway", "--vpn-gateway-id", vgw, "--vpc-id", vpc], v2=v2)
        srv.cli(["ec2", "delete-customer-gateway", "--customer-gateway-id", cgw], v2=v2)
        # detached is shown for --deleted-retention-s, then the attachment is purged.
        wait_for(lambda: [a["State"] for a in srv.cli(
            ["ec2", "describe-vpn-gateways", "--vpn-gateway-ids", vgw],
            v2=v2)[1]["VpnGateways"][0]["VpcAttachments"]] in (["detached"], []),
            "detached via CLI")
        srv.cli(["ec2", "delete-vpn-gateway", "--vpn-gateway-id", vgw], v2=v2)
        srv.cli(["ec2", "delete-vpc", "--vpc-id", vpc], v2=v2)

    def test_cli_v1(self):
        self.run_cli(False)

    def test_cli_v2(self):
        self.run_cli(True)


class TestRawHttp(ServerCase):
    """Malformed and unauthenticated requests: the right EC2 error, and the server keeps serving."""

    def tearDown(self):
        st, root, _ = self.srv.raw({"Action": "DescribeVpcs", "Version": "2016-11-15"})
        self.assertEqual(st, 200, "server stopped serving")
        self.assertTrue(self.srv.alive())

    def expect(self, result, status, code):
        st, root, data = result
        self.assertEqual((st, error_code(root)), (status, code), data[:400])
        rid = root.find("RequestID")
        self.assertTrue(rid is not None and len(rid.text) == 36, data)

    def test_auth(self):
        p = {"Action": "DescribeVpcs", "Version": "2016-11-15"}
        self.expect(self.srv.raw(p, sign=False), 401, "MissingAuthenticationToken")
        self.expect(self.srv.raw(p, sk="wrong-secret"), 403, "SignatureDoesNotMatch")
        self.expect(self.srv.raw(p, ak="AKIDUNKNOWN"), 401, "AuthFailure")
        self.expect(self.srv.raw(p, region="eu-west-1"), 401, "AuthFailure")
        self.expect(self.srv.raw(p, service="s3"), 401, "AuthFailure")
        body = b"Action=DescribeVpcs&Version=2016-11-15"
        old = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20))
        h = sigv4_headers(self.srv.port, body, old.strftime("%Y%m%dT%H%M%SZ"))
        self.expect(self.srv.raw(body=body, sign=False, headers=h), 400, "RequestExpired")
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        h = sigv4_headers(self.srv.port, body, now)
        st, root, _ = self.srv.raw(body=body, sign=False, headers=h)
        self.assertEqual(st, 200)  # the independent signer agrees with the server
        h = sigv4_headers(self.srv.port, body + b"&x=1", now)  # body changed after signing
        self.expect(self.srv.raw(body=body, sign=False, headers=h), 403, "SignatureDoesNotMatch")
        h["Authorization"] = "AWS4-HMAC-SHA256 Credential=%s/x" % AK
        self.expect(self.srv.raw(body=body, sign=False, headers=h), 400, "IncompleteSignature")

    def test_actions_and_params(self):
        self.expect(self.srv.raw({"Action": "LaunchRockets", "Version": "2016-11-15"}), 400,
                    "InvalidAction")
        self.expect(self.srv.raw({"Version": "2016-11-15"}), 400, "MissingAction")
        self.expect(self.srv.raw({"Action": "CreateCustomerGateway", "IpAddress": "1.2.3.4"}),
                    400, "MissingParameter")
        self.expect(self.srv.raw({"Action": "DeleteVpnGateway"}), 400, "MissingParameter")
        self.expect(self.srv.raw({"Action": "DescribeTags", "MaxResults": "4"}), 400,
                    "InvalidParameterValue")
        self.expect(self.srv.raw({"Action": "DescribeTags", "MaxResults": "12x"}), 400,
                    "InvalidParameterValue")
        self.expect(self.srv.raw({"Action": "DescribeVpcs", "DryRun": "maybe"}), 400,
                    "InvalidParameterValue")
        self.expect(self.srv.raw({"Action": "CreateVpnGateway", "Type": "ipsec.1",
                                  "AmazonSideAsn": "99999999999999999999999"}), 400,
                    "InvalidParameterValue")
        self.expect(self.srv.raw({"Action": "CreateVpc", "CidrBlock": "10.0.0.1/16"}), 400,
                    "InvalidParameterValue")
        self.expect(self.srv.raw({"Action": "DescribeCustomerGateways",
                                  "Filter.1.Name": "state"}), 400, "InvalidParameterValue")

    def test_malformed_encoding(self):
        for body in (b"Action=DescribeVpcs&x=%ZZ", b"Action=DescribeVpcs&x=%4", b"Action=Desc%",
                     b"Action=DescribeVpcs&x=%FF%FE", b"Action=DescribeVpcs&x=a%00b",
                     b"Action=DescribeVpcs&Action=DescribeVpcs", b"Action=DescribeVpcs&%01=1"):
            self.expect(self.srv.raw(body=body), 400, "MalformedQueryString")
        # '+' is a space, %2B a plus; non-contiguous list indexes are fine.
        cg = self.ec2.create_customer_gateway(Type="ipsec.1", IpAddress="203.0.113.99",
                                              DeviceName="a+b c")["CustomerGateway"]
        self.assertEqual(cg["DeviceName"], "a+b c")
        st, root, data = self.srv.raw(body=(
            "Action=DescribeCustomerGateways&CustomerGatewayId.3=%s&Filter.7.Name=device-name"
            "&Filter.7.Value.4=a%%2Bb+c" % cg["CustomerGatewayId"]).encode())
        self.assertEqual(st, 200, data)
        self.assertIn(cg["CustomerGatewayId"].encode(), data)
        self.assertIn(b"xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"", data)

    def test_get_and_transport(self):
        st, root, data = self.srv.raw(method="GET", body=b"",
                                      query="Action=DescribeVpcs&Version=2016-11-15")
        self.assertEqual(st, 200, data)
        self.assertTrue(root.tag.endswith("DescribeVpcsResponse"))
        self.expect(self.srv.raw(body=b"Action=DescribeVpcs", headers={"Content-Type": "text/plain"}),
                    415, "UnsupportedProtocol")
        self.expect(self.srv.raw(method="PUT", body=b"Action=DescribeVpcs"), 405,
                    "UnsupportedOperation")

    def test_random_bodies(self):
        import random
        rnd = random.Random(1234)
        alphabet = b"%&=+.AZaz09\x00\x01\xff\xc3\x80 Action=Filter.1.Name"
        for i in range(300):
            n = rnd.randrange(0, 200)
            body = bytes(rnd.choice(alphabet) for _ in range(n))
            st, root, data = self.srv.raw(body=body)
            self.assertEqual(st, 400, data)
            self.assertIn(error_code(root), ("MalformedQueryString", "MissingAction",
                                             "InvalidAction"), data)
        # Not HTTP at all, and a connection that goes away half way.
        for junk in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" * 10,
                     b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nAction="):
            s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=10)
            s.sendall(junk)
            s.close()

    def test_huge_body(self):
        # Announced too large: refused from the headers, without reading the body.
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=30)
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
                  b"\r\nContent-Length: 5000000\r\n\r\n" + b"A" * 65536)
        data = b""
        while b"</Response>" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        self.assertIn(b" 413 ", data.split(b"\r\n")[0])
        self.assertIn(b"<Code>RequestEntityTooLarge</Code>", data)
        # Chunked (no Content-Length): collected until the limit, then refused.
        s = socket.create_connection(("127.0.0.1", self.srv.port), timeout=30)
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
                  b"\r\nTransfer-Encoding: chunked\r\n\r\n")
        piece = b"A" * 65536
        for _ in range(20):
            s.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        s.sendall(b"0\r\n\r\n")
        data = b""
        while b"</Response>" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        self.assertIn(b"<Code>RequestEntityTooLarge</Code>", data)


if __name__ == "__main__":
    run_tests([TestGettingStarted, TestResourceRules, TestQuotas, TestTagsFiltersPages, TestCli,
               TestRawHttp])
