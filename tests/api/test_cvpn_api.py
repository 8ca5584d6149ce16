#!/usr/bin/env python3
"""Client VPN EC2 operations on gatehoused, driven by the real clients (boto3, `aws` CLI v1,
/usr/bin/aws CLI v2) and by raw signed HTTP for what the clients check themselves.

The seed workflow (client-vpn.md A6): import the server certificate and the client CA with
`aws acm import-certificate`, create the endpoint, associate a subnet, authorize, add a route,
export the client configuration, import/export a CRL. Then the validation rules and the
numbered claims of client-vpn.md G that the API alone can show (1-14, 33-36, 41, 42, 45).
"""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import botocore.exceptions  # noqa: E402

import cvpn_pki  # noqa: E402
import ghapi  # noqa: E402

V = "2016-11-15"


class CvpnBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="gh-cvpn-")
        cls.pki = cvpn_pki.Pki(os.path.join(cls.tmp, "pki"))

    def setUp(self):
        self.srv = ghapi.Server().start()
        self.addCleanup(self.srv.cleanup)
        self.ec2 = self.srv.boto3()
        p = self.pki
        rc, out, _ = self.srv.cli(["acm", "import-certificate",
                                   "--certificate", "fileb://" + p.server_crt,
                                   "--private-key", "fileb://" + p.server_key,
                                   "--certificate-chain", "fileb://" + p.ca_crt], v2=True)
        self.server_arn = out["CertificateArn"]
        rc, out, _ = self.srv.cli(["acm", "import-certificate",
                                   "--certificate", "fileb://" + p.ca_crt,
                                   "--private-key", "fileb://" + p.ca_key])
        self.client_ca_arn = out["CertificateArn"]
        self.vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.sub_a = self.subnet(self.vpc, "10.0.1.0/24", "us-east-1a")
        self.sub_b = self.subnet(self.vpc, "10.0.2.0/24", "us-east-1b")

    def subnet(self, vpc, cidr, az):
        return self.ec2.create_subnet(VpcId=vpc, CidrBlock=cidr,
                                      AvailabilityZone=az)["Subnet"]["SubnetId"]

    def auth(self):
        return [{"Type": "certificate-authentication",
                 "MutualAuthentication": {"ClientRootCertificateChainArn": self.client_ca_arn}}]

    def create(self, **kw):
        args = dict(ClientCidrBlock="172.16.0.0/22", ServerCertificateArn=self.server_arn,
                    AuthenticationOptions=self.auth(), ConnectionLogOptions={"Enabled": False})
        args.update(kw)
        return self.ec2.create_client_vpn_endpoint(**args)

    def describe(self, eid):
        return self.ec2.describe_client_vpn_endpoints(
            ClientVpnEndpointIds=[eid])["ClientVpnEndpoints"][0]

    def raw_params(self, action, **params):
        d = {"Action": action, "Version": V}
        d.update(params)
        return d

    def raw_create_params(self, **over):
        d = self.raw_params("CreateClientVpnEndpoint",
                            ClientCidrBlock="172.16.0.0/22",
                            ServerCertificateArn=self.server_arn,
                            **{"Authentication.1.Type": "certificate-authentication",
                               "Authentication.1.MutualAuthentication."
                               "ClientRootCertificateChainArn": self.client_ca_arn,
                               "ConnectionLogOptions.Enabled": "false"})
        for k, v in over.items():
            if v is None:
                d.pop(k, None)
            else:
                d[k] = v
        return d

    def raw_error(self, params):
        status, root, data = self.srv.raw(params)
        self.assertGreaterEqual(status, 400, data)
        self.assertLess(status, 500, data)
        return ghapi.error_code(root), root.find("./Errors/Error/Message").text

    def assert_client_error(self, code, fn, *a, **kw):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            fn(*a, **kw)
        self.assertEqual(cm.exception.response["Error"]["Code"], code,
                         cm.exception.response["Error"]["Message"])
        return cm.exception.response["Error"]["Message"]


class SeedWorkflow(CvpnBase):
    def test_workflow_with_both_clis(self):
        cli, srv = self.srv.cli, self.srv
        # create (CLI v2), defaults (claims 3, 7, 8, 9, 10)
        rc, out, _ = cli(["ec2", "create-client-vpn-endpoint",
                          "--client-cidr-block", "172.16.0.0/22",
                          "--server-certificate-arn", self.server_arn,
                          "--authentication-options",
                          "Type=certificate-authentication,MutualAuthentication={"
                          "ClientRootCertificateChainArn=%s}" % self.client_ca_arn,
                          "--connection-log-options", "Enabled=false",
                          "--dns-servers", "10.0.0.2",
                          "--vpc-id", self.vpc, "--description", "corp vpn",
                          "--tag-specifications",
                          "ResourceType=client-vpn-endpoint,Tags=[{Key=Name,Value=corp}]"],
                         v2=True)
        eid = out["ClientVpnEndpointId"]
        self.assertRegex(eid, r"^cvpn-endpoint-[0-9a-f]{17}$")
        self.assertEqual(out["Status"]["Code"], "pending-associate")
        self.assertEqual(out["DnsName"],
                         "*.%s.prod.clientvpn.us-east-1.gatehouse.internal" % eid)
        rc, out, _ = cli(["ec2", "describe-client-vpn-endpoints",
                          "--client-vpn-endpoint-ids", eid])
        ep = out["ClientVpnEndpoints"][0]
        self.assertEqual(ep["TransportProtocol"], "udp")
        self.assertEqual(ep["VpnPort"], 443)
        self.assertEqual(ep["SessionTimeoutHours"], 24)
        self.assertIs(ep["SplitTunnel"], False)
        self.assertEqual(ep["VpnProtocol"], "openvpn")
        self.assertEqual(ep["DnsServers"], ["10.0.0.2"])
        self.assertEqual(ep["ConnectionLogOptions"], {"Enabled": False})
        self.assertEqual(ep["AuthenticationOptions"][0]["MutualAuthentication"],
                         {"ClientRootCertificateChain": self.client_ca_arn})
        self.assertEqual(ep["Tags"], [{"Key": "Name", "Value": "corp"}])
        self.assertEqual(ep["VpcId"], self.vpc)
        self.assertEqual(len(ep["SecurityGroupIds"]), 1)  # the VPC's default group
        # associate (CLI v1) -> available (claim 4)
        rc, out, _ = cli(["ec2", "associate-client-vpn-target-network",
                          "--client-vpn-endpoint-id", eid, "--subnet-id", self.sub_a])
        assoc = out["AssociationId"]
        self.assertRegex(assoc, r"^cvpn-assoc-[0-9a-f]{17}$")
        self.assertEqual(out["Status"]["Code"], "associating")
        self.assertEqual(self.describe(eid)["Status"]["Code"], "available")
        ghapi.wait_for(lambda: self.ec2.describe_client_vpn_target_networks(
            ClientVpnEndpointId=eid)["ClientVpnTargetNetworks"][0]["Status"]["Code"] ==
            "associated", "association")
        # authorize + route (CLI v2)
        rc, out, _ = cli(["ec2", "authorize-client-vpn-ingress", "--client-vpn-endpoint-id",
                          eid, "--target-network-cidr", "10.0.0.0/16",
                          "--authorize-all-groups"], v2=True)
        self.assertEqual(out["Status"]["Code"], "authorizing")
        rc, out, _ = cli(["ec2", "create-client-vpn-route", "--client-vpn-endpoint-id", eid,
                          "--destination-cidr-block", "0.0.0.0/0",
                          "--target-vpc-subnet-id", self.sub_a], v2=True)
        self.assertEqual(out["Status"]["Code"], "creating")
        routes = self.ec2.describe_client_vpn_routes(ClientVpnEndpointId=eid)["Routes"]
        self.assertEqual(sorted((r["DestinationCidr"], r["Origin"]) for r in routes),
                         [("0.0.0.0/0", "add-route"), ("10.0.0.0/16", "associate")])
        rules = self.ec2.describe_client_vpn_authorization_rules(
            ClientVpnEndpointId=eid)["AuthorizationRules"]
        self.assertEqual(len(rules), 1)
        self.assertIs(rules[0]["AccessAll"], True)
        # export the client configuration (claim 38, profile layout)
        rc, out, _ = cli(["ec2", "export-client-vpn-client-configuration",
                          "--client-vpn-endpoint-id", eid, "--output", "text"], v2=True)
        rc, out, _ = cli(["ec2", "export-client-vpn-client-configuration",
                          "--client-vpn-endpoint-id", eid])
        conf = out["ClientConfiguration"]
        lines = conf.splitlines()
        self.assertEqual(lines[:10], [
            "client", "dev tun", "proto udp",
            "remote %s.prod.clientvpn.us-east-1.gatehouse.internal 443" % eid,
            "remote-random-hostname", "resolv-retry infinite", "nobind",
            "remote-cert-tls server", "cipher AES-256-GCM", "verb 3"])
        self.assertEqual(lines[-1], "reneg-sec 0")
        ca = conf[conf.index("<ca>\n") + 5:conf.index("</ca>")]
        self.assertEqual(ca.strip(), cvpn_pki.Pki.read(self.pki.ca_crt).strip())
        # CRL import / export (claim 37's API half)
        rc, out, _ = cli(["ec2", "import-client-vpn-client-certificate-revocation-list",
                          "--client-vpn-endpoint-id", eid,
                          "--certificate-revocation-list", "file://" + self.pki.crl])
        self.assertIs(out["Return"], True)
        rc, out, _ = cli(["ec2", "export-client-vpn-client-certificate-revocation-list",
                          "--client-vpn-endpoint-id", eid], v2=True)
        self.assertEqual(out["CertificateRevocationList"].strip(),
                         cvpn_pki.Pki.read(self.pki.crl).strip())
        self.assertIn(out["Status"]["Code"], ("pending", "active"))
        # delete needs the association gone (claim 6), then disassociate -> pending (claim 5)
        rc, out, err = cli(["ec2", "delete-client-vpn-endpoint", "--client-vpn-endpoint-id",
                            eid], v2=True, check=False)
        self.assertEqual(rc, 254)
        self.assertIn("disassociate", err)
        rc, out, _ = cli(["ec2", "disassociate-client-vpn-target-network",
                          "--client-vpn-endpoint-id", eid, "--association-id", assoc])
        self.assertEqual(out["Status"]["Code"], "disassociating")
        ep = self.describe(eid)
        self.assertEqual(ep["Status"]["Code"], "pending-associate")
        routes = self.ec2.describe_client_vpn_routes(ClientVpnEndpointId=eid)["Routes"]
        self.assertEqual(routes, [])  # the automatic VPC route went with the association
        rc, out, _ = cli(["ec2", "delete-client-vpn-endpoint", "--client-vpn-endpoint-id",
                          eid])
        self.assertEqual(out["Status"]["Code"], "deleting")
        self.assertIn(self.describe(eid)["Status"]["Code"], ("deleting", "deleted"))
        ghapi.wait_for(lambda: self.describe(eid)["Status"]["Code"] == "deleted", "deleted")

    def test_survives_kill9(self):
        eid = self.create(SplitTunnel=True, VpnPort=1194)["ClientVpnEndpointId"]
        self.ec2.associate_client_vpn_target_network(ClientVpnEndpointId=eid,
                                                     SubnetId=self.sub_a)
        self.srv.kill9()
        self.srv.start()
        self.ec2 = self.srv.boto3()
        ep = self.describe(eid)
        self.assertEqual((ep["Status"]["Code"], ep["VpnPort"], ep["SplitTunnel"]),
                         ("available", 1194, True))


class Validation(CvpnBase):
    def test_client_cidr(self):  # claims 1, 2
        for cidr in ("10.200.0.0/12", "10.200.0.0/22"):
            self.create(ClientCidrBlock=cidr.replace("10.200.0.0/12", "10.192.0.0/12"))
        for cidr in ("10.200.0.0/23", "10.0.0.0/11", "10.200.0.1/22", "nonsense"):
            code, msg = self.raw_error(self.raw_create_params(ClientCidrBlock=cidr))
            self.assertEqual(code, "InvalidParameterValue", msg)
        code, msg = self.raw_error(self.raw_create_params(ClientCidrBlock="10.0.0.0/22",
                                                          VpcId=self.vpc))
        self.assertEqual(code, "InvalidParameterValue")
        self.assertIn(self.vpc, msg)
        # a subnet overlapping the client CIDR
        vpc2 = self.ec2.create_vpc(CidrBlock="172.16.0.0/16")["Vpc"]["VpcId"]
        sub = self.subnet(vpc2, "172.16.1.0/24", "us-east-1a")
        eid = self.create()["ClientVpnEndpointId"]
        self.assert_client_error("InvalidClientVpnSubnetId.OverlappingCidr",
                                 self.ec2.associate_client_vpn_target_network,
                                 ClientVpnEndpointId=eid, SubnetId=sub)
        # without VpcId, the first association sets the VPC and its default security group
        self.ec2.associate_client_vpn_target_network(ClientVpnEndpointId=eid,
                                                     SubnetId=self.sub_a)
        ep = self.describe(eid)
        self.assertEqual((ep["VpcId"], ep["SecurityGroupIds"]),
                         (self.vpc, ["sg-" + self.vpc[4:]]))

    def test_port_session_banner_dns_log(self):  # claims 8, 9, 11, 12, 13
        self.assertEqual(self.describe(self.create(VpnPort=1194)["ClientVpnEndpointId"])
                         ["VpnPort"], 1194)
        for k, v in (("VpnPort", "8443"), ("SessionTimeoutHours", "6"),
                     ("SessionTimeoutHours", "48"), ("TransportProtocol", "sctp")):
            code, msg = self.raw_error(self.raw_create_params(**{k: v}))
            self.assertEqual(code, "InvalidParameterValue", (k, v, msg))
        eid = self.create(SessionTimeoutHours=8, TransportProtocol="tcp",
                          ClientLoginBannerOptions={"Enabled": True,
                                                    "BannerText": "\u3042" * 1400}
                          )["ClientVpnEndpointId"]
        ep = self.describe(eid)
        self.assertEqual((ep["SessionTimeoutHours"], ep["TransportProtocol"]), (8, "tcp"))
        self.assertEqual(len(ep["ClientLoginBannerOptions"]["BannerText"]), 1400)
        code, msg = self.raw_error(self.raw_create_params(**{
            "ClientLoginBannerOptions.Enabled": "true",
            "ClientLoginBannerOptions.BannerText": "\u3042" * 1401}))
        self.assertEqual(code, "InvalidParameterValue")
        self.assertIn("1400", msg)
        self.assert_client_error("InvalidParameterValue", self.create,
                                 DnsServers=["1.1.1.1", "2.2.2.2", "3.3.3.3"])
        code, msg = self.raw_error(self.raw_create_params(**{
            "ConnectionLogOptions.Enabled": None}))
        self.assertEqual(code, "MissingParameter")
        self.assert_client_error("InvalidParameterValue", self.create,
                                 ConnectionLogOptions={"Enabled": True})
        eid = self.create(ConnectionLogOptions={"Enabled": True, "CloudwatchLogGroup": "g"}
                          )["ClientVpnEndpointId"]
        self.assertEqual(self.describe(eid)["ConnectionLogOptions"],
                         {"Enabled": True, "CloudwatchLogGroup": "g"})

    def test_modify(self):  # claims 12, 14, 18
        eid = self.create(DnsServers=["10.0.0.2", "8.8.8.8"])["ClientVpnEndpointId"]
        rc, out, _ = self.srv.cli(["ec2", "modify-client-vpn-endpoint",
                                   "--client-vpn-endpoint-id", eid,
                                   "--dns-servers", "Enabled=false", "--vpn-port", "1194",
                                   "--description", "changed", "--split-tunnel",
                                   "--session-timeout-hours", "12"], v2=True)
        self.assertIs(out["Return"], True)
        ep = self.describe(eid)
        self.assertNotIn("DnsServers", ep)
        self.assertEqual((ep["VpnPort"], ep["Description"], ep["SplitTunnel"],
                          ep["SessionTimeoutHours"]), (1194, "changed", True, 12))
        self.ec2.modify_client_vpn_endpoint(
            ClientVpnEndpointId=eid, DnsServers={"CustomDnsServers": ["9.9.9.9"],
                                                 "Enabled": True})
        self.assertEqual(self.describe(eid)["DnsServers"], ["9.9.9.9"])
        for k, v in (("ClientCidrBlock", "10.50.0.0/22"), ("TransportProtocol", "tcp"),
                     ("Authentication.1.Type", "certificate-authentication")):
            code, msg = self.raw_error(self.raw_params("ModifyClientVpnEndpoint",
                                                       ClientVpnEndpointId=eid, **{k: v}))
            self.assertEqual(code, "InvalidParameter", msg)
        self.assert_client_error(
            "InvalidParameterValue", self.ec2.modify_client_vpn_endpoint,
            ClientVpnEndpointId=eid,
            ClientConnectOptions={"Enabled": True, "LambdaFunctionArn":
                                  "arn:aws:lambda:us-east-1:123456789012:function:check"})
        self.ec2.modify_client_vpn_endpoint(
            ClientVpnEndpointId=eid,
            ClientConnectOptions={"Enabled": True, "LambdaFunctionArn":
                                  "arn:aws:lambda:us-east-1:123456789012:function:"
                                  "AWSClientVPN-check"})
        cc = self.describe(eid)["ClientConnectOptions"]
        self.assertEqual((cc["Enabled"], cc["Status"]["Code"]), (True, "applied"))
        self.assert_client_error("InvalidParameterValue", self.ec2.modify_client_vpn_endpoint,
                                 ClientVpnEndpointId=eid, VpnPort=8443)

    def test_auth_options(self):
        self.assert_client_error(
            "UnsupportedOperation", self.create,
            AuthenticationOptions=[{"Type": "directory-service-authentication",
                                    "ActiveDirectory": {"DirectoryId": "d-1234567890"}}])
        self.assert_client_error(
            "InvalidParameterValue", self.create,
            ServerCertificateArn="arn:aws:acm:us-east-1:123456789012:certificate/"
                                 "00000000-0000-4000-8000-000000000000")
        self.assert_client_error(
            "InvalidParameterValue", self.create,
            ServerCertificateArn=self.server_arn.replace("us-east-1", "eu-west-1"))

    def test_rules_routes_targets(self):  # claims 33, 34, 35, 36
        eid = self.create(VpcId=self.vpc)["ClientVpnEndpointId"]
        e = self.ec2
        self.assert_client_error("InvalidClientVpnActiveAssociationNotFound",
                                 e.create_client_vpn_route, ClientVpnEndpointId=eid,
                                 DestinationCidrBlock="0.0.0.0/0", TargetVpcSubnetId=self.sub_a)
        e.associate_client_vpn_target_network(ClientVpnEndpointId=eid, SubnetId=self.sub_a)
        self.assert_client_error("InvalidClientVpnDuplicateAssociationException",
                                 e.associate_client_vpn_target_network,
                                 ClientVpnEndpointId=eid, SubnetId=self.sub_a)
        same_az = self.subnet(self.vpc, "10.0.3.0/24", "us-east-1a")
        self.assert_client_error("InvalidClientVpnSubnetId.DuplicateAz",
                                 e.associate_client_vpn_target_network,
                                 ClientVpnEndpointId=eid, SubnetId=same_az)
        vpc2 = e.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        other = self.subnet(vpc2, "10.9.1.0/24", "us-east-1c")
        self.assert_client_error("InvalidClientVpnSubnetId.NotFound",
                                 e.associate_client_vpn_target_network,
                                 ClientVpnEndpointId=eid, SubnetId=other)
        code, msg = self.raw_error(self.raw_params("AuthorizeClientVpnIngress",
                                                   ClientVpnEndpointId=eid,
                                                   TargetNetworkCidr="10.0.0.0/16"))
        self.assertEqual(code, "InvalidParameterValue")
        self.assertIn("AuthorizeAllGroups", msg)
        e.authorize_client_vpn_ingress(ClientVpnEndpointId=eid, TargetNetworkCidr="10.0.0.0/16",
                                       AccessGroupId="eng", Description="engineers")
        self.assert_client_error("InvalidClientVpnDuplicateAuthorizationRule",
                                 e.authorize_client_vpn_ingress, ClientVpnEndpointId=eid,
                                 TargetNetworkCidr="10.0.0.0/16", AccessGroupId="eng")
        e.authorize_client_vpn_ingress(ClientVpnEndpointId=eid, TargetNetworkCidr="10.0.0.0/16",
                                       AuthorizeAllGroups=True)
        got = e.describe_client_vpn_authorization_rules(
            ClientVpnEndpointId=eid, Filters=[{"Name": "group-id", "Values": ["eng"]}])
        self.assertEqual([r["Description"] for r in got["AuthorizationRules"]], ["engineers"])
        # RevokeAllGroups removes only the all-groups rule
        e.revoke_client_vpn_ingress(ClientVpnEndpointId=eid, TargetNetworkCidr="10.0.0.0/16",
                                    RevokeAllGroups=True)
        got = e.describe_client_vpn_authorization_rules(ClientVpnEndpointId=eid)
        self.assertEqual([r["GroupId"] for r in got["AuthorizationRules"]], ["eng"])
        self.assert_client_error("InvalidClientVpnEndpointAuthorizationRuleNotFound",
                                 e.revoke_client_vpn_ingress, ClientVpnEndpointId=eid,
                                 TargetNetworkCidr="10.0.0.0/16", RevokeAllGroups=True)
        e.create_client_vpn_route(ClientVpnEndpointId=eid, DestinationCidrBlock="192.168.0.0/16",
                                  TargetVpcSubnetId=self.sub_a, Description="onprem")
        self.assert_client_error("InvalidClientVpnDuplicateRoute", e.create_client_vpn_route,
                                 ClientVpnEndpointId=eid, DestinationCidrBlock="192.168.0.0/16",
                                 TargetVpcSubnetId=self.sub_a)
        msg = self.assert_client_error("InvalidParameterValue", e.delete_client_vpn_route,
                                       ClientVpnEndpointId=eid,
                                       DestinationCidrBlock="10.0.0.0/16")
        self.assertIn("disassociate", msg)
        got = e.describe_client_vpn_routes(ClientVpnEndpointId=eid,
                                           Filters=[{"Name": "origin", "Values": ["add-route"]}])
        self.assertEqual([r["Description"] for r in got["Routes"]], ["onprem"])
        self.assertEqual(e.delete_client_vpn_route(
            ClientVpnEndpointId=eid, DestinationCidrBlock="192.168.0.0/16")["Status"]["Code"],
            "deleting")
        self.assert_client_error("InvalidClientVpnRouteNotFound", e.delete_client_vpn_route,
                                 ClientVpnEndpointId=eid, DestinationCidrBlock="192.168.0.0/16")
        # security groups: 1..5 replace and echo, 6 rejected
        sgs = ["sg-%017x" % i for i in range(1, 7)]
        out = e.apply_security_groups_to_client_vpn_target_network(
            ClientVpnEndpointId=eid, VpcId=self.vpc, SecurityGroupIds=sgs[:5])
        self.assertEqual(out["SecurityGroupIds"], sgs[:5])
        self.assertEqual(self.describe(eid)["SecurityGroupIds"], sgs[:5])
        self.assert_client_error("InvalidParameterValue",
                                 e.apply_security_groups_to_client_vpn_target_network,
                                 ClientVpnEndpointId=eid, VpcId=self.vpc, SecurityGroupIds=sgs)
        # the subnet cannot go while it is a target network
        self.assert_client_error("DependencyViolation", e.delete_subnet, SubnetId=self.sub_a)

    def test_unknown_endpoint_everywhere(self):  # claim 45
        bogus = "cvpn-endpoint-0123456789abcdef0"
        ops = {
            "DescribeClientVpnEndpoints": {"ClientVpnEndpointId.1": bogus},
            "ModifyClientVpnEndpoint": {}, "DeleteClientVpnEndpoint": {},
            "AssociateClientVpnTargetNetwork": {"SubnetId": self.sub_a},
            "DisassociateClientVpnTargetNetwork": {"AssociationId": "cvpn-assoc-1"},
            "DescribeClientVpnTargetNetworks": {},
            "ApplySecurityGroupsToClientVpnTargetNetwork": {"VpcId": self.vpc,
                                                            "SecurityGroupId.1": "sg-1"},
            "AuthorizeClientVpnIngress": {"TargetNetworkCidr": "10.0.0.0/8",
                                          "AuthorizeAllGroups": "true"},
            "RevokeClientVpnIngress": {"TargetNetworkCidr": "10.0.0.0/8"},
            "DescribeClientVpnAuthorizationRules": {},
            "CreateClientVpnRoute": {"DestinationCidrBlock": "0.0.0.0/0",
                                     "TargetVpcSubnetId": self.sub_a},
            "DeleteClientVpnRoute": {"DestinationCidrBlock": "0.0.0.0/0"},
            "DescribeClientVpnRoutes": {}, "DescribeClientVpnConnections": {},
            "TerminateClientVpnConnections": {"ConnectionId": "cvpn-connection-1"},
            "ImportClientVpnClientCertificateRevocationList": {
                "CertificateRevocationList": cvpn_pki.Pki.read(self.pki.crl)},
            "ExportClientVpnClientCertificateRevocationList": {},
            "ExportClientVpnClientConfiguration": {},
        }
        for action, extra in ops.items():
            params = self.raw_params(action, **extra)
            if action != "DescribeClientVpnEndpoints":
                params["ClientVpnEndpointId"] = bogus
            status, root, data = self.srv.raw(params)
            self.assertEqual(status, 400, (action, data))
            self.assertEqual(ghapi.error_code(root), "InvalidClientVpnEndpointId.NotFound",
                             (action, data))
        rc, _, err = self.srv.cli(["ec2", "describe-client-vpn-routes",
                                   "--client-vpn-endpoint-id", bogus], v2=True, check=False)
        self.assertEqual(rc, 254)
        self.assertIn("InvalidClientVpnEndpointId.NotFound", err)

    def test_crl_validation(self):
        eid = self.create()["ClientVpnEndpointId"]
        self.assert_client_error("InvalidParameterValue",
                                 self.ec2.import_client_vpn_client_certificate_revocation_list,
                                 ClientVpnEndpointId=eid,
                                 CertificateRevocationList=cvpn_pki.Pki.read(self.pki.ca_crt))
        out = self.ec2.export_client_vpn_client_certificate_revocation_list(
            ClientVpnEndpointId=eid)
        self.assertNotIn("CertificateRevocationList", out)

    def test_connections_empty_and_terminate_errors(self):
        eid = self.create()["ClientVpnEndpointId"]
        self.assertEqual(self.ec2.describe_client_vpn_connections(
            ClientVpnEndpointId=eid)["Connections"], [])
        self.assert_client_error("InvalidClientVpnConnection.IdNotFound",
                                 self.ec2.terminate_client_vpn_connections,
                                 ClientVpnEndpointId=eid, ConnectionId="cvpn-connection-1")
        self.assert_client_error("InvalidClientVpnConnection.UserNotFound",
                                 self.ec2.terminate_client_vpn_connections,
                                 ClientVpnEndpointId=eid, Username="alice")


class Plumbing(CvpnBase):
    def test_idempotency(self):  # claim 41
        a = self.create(ClientToken="tok-1", Description="x")
        b = self.create(ClientToken="tok-1", Description="x")
        self.assertEqual(a["ClientVpnEndpointId"], b["ClientVpnEndpointId"])
        self.assert_client_error("IdempotentParameterMismatch", self.create,
                                 ClientToken="tok-1", Description="y")
        eid = a["ClientVpnEndpointId"]
        x = self.ec2.associate_client_vpn_target_network(ClientVpnEndpointId=eid,
                                                         SubnetId=self.sub_a, ClientToken="t2")
        y = self.ec2.associate_client_vpn_target_network(ClientVpnEndpointId=eid,
                                                         SubnetId=self.sub_a, ClientToken="t2")
        self.assertEqual(x["AssociationId"], y["AssociationId"])
        self.assert_client_error("IdempotentParameterMismatch",
                                 self.ec2.associate_client_vpn_target_network,
                                 ClientVpnEndpointId=eid, SubnetId=self.sub_b, ClientToken="t2")
        for _ in range(2):
            self.ec2.authorize_client_vpn_ingress(ClientVpnEndpointId=eid,
                                                  TargetNetworkCidr="10.0.0.0/16",
                                                  AuthorizeAllGroups=True, ClientToken="t3")
        self.assertEqual(len(self.ec2.describe_client_vpn_authorization_rules(
            ClientVpnEndpointId=eid)["AuthorizationRules"]), 1)
        self.assertEqual(len(self.ec2.describe_client_vpn_endpoints()["ClientVpnEndpoints"]), 1)

    def test_filters_tags_pagination(self):  # claim 42, E9
        ids = []
        for i in range(5):
            tags = [{"ResourceType": "client-vpn-endpoint",
                     "Tags": [{"Key": "team", "Value": "a" if i % 2 == 0 else "b"}]}]
            ids.append(self.create(TransportProtocol="tcp" if i < 2 else "udp",
                                   TagSpecifications=tags)["ClientVpnEndpointId"])
        self.assert_client_error("ClientVpnEndpointLimitExceeded", self.create)
        f = self.ec2.describe_client_vpn_endpoints(
            Filters=[{"Name": "transport-protocol", "Values": ["tcp"]}])["ClientVpnEndpoints"]
        self.assertEqual(sorted(x["ClientVpnEndpointId"] for x in f), sorted(ids[:2]))
        f = self.ec2.describe_client_vpn_endpoints(
            Filters=[{"Name": "tag:team", "Values": ["a"]}])["ClientVpnEndpoints"]
        self.assertEqual(len(f), 3)
        f = self.ec2.describe_client_vpn_endpoints(
            Filters=[{"Name": "endpoint-id", "Values": [ids[4]]}])["ClientVpnEndpoints"]
        self.assertEqual([x["ClientVpnEndpointId"] for x in f], [ids[4]])
        page = self.ec2.describe_client_vpn_endpoints(MaxResults=5)
        self.assertEqual(len(page["ClientVpnEndpoints"]), 5)
        self.assertNotIn("NextToken", page)
        code, _ = self.raw_error(self.raw_params("DescribeClientVpnEndpoints", MaxResults="4"))
        self.assertEqual(code, "InvalidParameterValue")
        code, _ = self.raw_error(self.raw_params("DescribeClientVpnEndpoints",
                                                 **{"Filter.1.Name": "color",
                                                    "Filter.1.Value.1": "red"}))
        self.assertEqual(code, "InvalidParameterValue")
        # CLI v1 auto-paginates with a page size
        rc, out, _ = self.srv.cli(["ec2", "describe-client-vpn-endpoints", "--page-size", "5"])
        self.assertEqual(len(out["ClientVpnEndpoints"]), 5)

    def test_create_delete_describe_tags(self):  # E9: CreateTags/DeleteTags/DescribeTags
        eid = self.create()["ClientVpnEndpointId"]
        other = self.create(ClientCidrBlock="172.20.0.0/22", TagSpecifications=[
            {"ResourceType": "client-vpn-endpoint",
             "Tags": [{"Key": "Name", "Value": "other"}]}])["ClientVpnEndpointId"]
        self.ec2.create_tags(Resources=[eid], Tags=[{"Key": "team", "Value": "red"},
                                                    {"Key": "env", "Value": "prod"}])
        self.assertEqual(sorted((t["Key"], t["Value"]) for t in self.describe(eid)["Tags"]),
                         [("env", "prod"), ("team", "red")])
        got = self.ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [eid]}])["Tags"]
        self.assertEqual(sorted((t["Key"], t["Value"], t["ResourceType"]) for t in got),
                         [("env", "prod", "client-vpn-endpoint"),
                          ("team", "red", "client-vpn-endpoint")])
        got = self.ec2.describe_tags(Filters=[{"Name": "resource-type",
                                               "Values": ["client-vpn-endpoint"]}])["Tags"]
        self.assertEqual(sorted((t["ResourceId"], t["Key"]) for t in got),
                         sorted([(eid, "env"), (eid, "team"), (other, "Name")]))
        # the endpoint's own tag filters see tags from CreateTags
        for flt in ([{"Name": "tag:team", "Values": ["red"]}],
                    [{"Name": "tag-key", "Values": ["env"]}]):
            f = self.ec2.describe_client_vpn_endpoints(Filters=flt)["ClientVpnEndpoints"]
            self.assertEqual([x["ClientVpnEndpointId"] for x in f], [eid])
        # CLI v2 adds, CLI v1 deletes by key alone
        self.srv.cli(["ec2", "create-tags", "--resources", eid, other,
                      "--tags", "Key=owner,Value=ops"], v2=True)
        self.srv.cli(["ec2", "delete-tags", "--resources", eid, "--tags", "Key=team"])
        rc, out, _ = self.srv.cli(["ec2", "describe-tags", "--filters",
                                   "Name=resource-id,Values=%s" % eid], v2=True)
        self.assertEqual(sorted(t["Key"] for t in out["Tags"]), ["env", "owner"])
        self.assertEqual(sorted(t["Key"] for t in self.describe(other)["Tags"]),
                         ["Name", "owner"])
        # a value that does not match deletes nothing; the matching one deletes
        self.ec2.delete_tags(Resources=[eid], Tags=[{"Key": "env", "Value": "dev"}])
        self.assertIn("env", [t["Key"] for t in self.describe(eid)["Tags"]])
        self.ec2.delete_tags(Resources=[eid], Tags=[{"Key": "env", "Value": "prod"}])
        self.assertEqual(self.describe(eid)["Tags"], [{"Key": "owner", "Value": "ops"}])
        # errors: unknown endpoint, unknown prefix, too many tags
        msg = self.assert_client_error("InvalidClientVpnEndpointId.NotFound",
                                       self.ec2.create_tags,
                                       Resources=["cvpn-endpoint-0123456789abcdef0"],
                                       Tags=[{"Key": "a", "Value": "b"}])
        self.assertIn("cvpn-endpoint-0123456789abcdef0", msg)
        self.assert_client_error("InvalidClientVpnEndpointId.NotFound", self.ec2.delete_tags,
                                 Resources=["cvpn-endpoint-0123456789abcdef0"])
        self.assert_client_error("InvalidID", self.ec2.create_tags, Resources=["cvpn-0abc"],
                                 Tags=[{"Key": "a", "Value": "b"}])
        self.assert_client_error("TagLimitExceeded", self.ec2.create_tags, Resources=[eid],
                                 Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(50)])
        self.assertEqual(self.describe(eid)["Tags"], [{"Key": "owner", "Value": "ops"}])
        # subnets (the target networks) are taggable the same way
        self.ec2.create_tags(Resources=[self.sub_a], Tags=[{"Key": "tier", "Value": "app"}])
        sub = self.ec2.describe_subnets(SubnetIds=[self.sub_a])["Subnets"][0]
        self.assertEqual(sub["Tags"], [{"Key": "tier", "Value": "app"}])
        # the endpoint's tags go with it when it is purged
        self.ec2.delete_client_vpn_endpoint(ClientVpnEndpointId=other)
        ghapi.wait_for(lambda: not self.ec2.describe_tags(Filters=[
            {"Name": "resource-id", "Values": [other]}])["Tags"], "tags purged with endpoint")

    def test_rule_pagination(self):
        eid = self.create()["ClientVpnEndpointId"]
        for i in range(7):
            self.ec2.authorize_client_vpn_ingress(ClientVpnEndpointId=eid,
                                                  TargetNetworkCidr="10.%d.0.0/16" % i,
                                                  AuthorizeAllGroups=True)
        p1 = self.ec2.describe_client_vpn_authorization_rules(ClientVpnEndpointId=eid,
                                                              MaxResults=5)
        self.assertEqual(len(p1["AuthorizationRules"]), 5)
        p2 = self.ec2.describe_client_vpn_authorization_rules(
            ClientVpnEndpointId=eid, MaxResults=5, NextToken=p1["NextToken"])
        self.assertEqual([r["DestinationCidr"] for r in p1["AuthorizationRules"] +
                          p2["AuthorizationRules"]], ["10.%d.0.0/16" % i for i in range(7)])
        self.assertNotIn("NextToken", p2)

    def test_dry_run(self):
        self.assert_client_error("DryRunOperation", self.create, DryRun=True)
        self.assertEqual(self.ec2.describe_client_vpn_endpoints()["ClientVpnEndpoints"], [])


if __name__ == "__main__":
    ghapi.run_tests([SeedWorkflow, Validation, Plumbing])
