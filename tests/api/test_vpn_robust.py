#!/usr/bin/env python3
"""Bad input to the VPN connection operations (robustness.md: "bad input -> a clear error,
never a crash"): seeded random requests to each of the 12 operations, with real and made-up
parameter names, huge and odd values, deep list indices. Every answer must be 200 or a 4xx EC2
error envelope with a code and a message (never 5xx), and the server must keep serving."""
import random
import re

from vpnlib import Daemon, eq, finish, make_cgw, make_vgw, ok

d = Daemon()
ec2 = d.ec2()
cgw = make_cgw(ec2, "192.0.2.70")
vgw = make_vgw(ec2)
vpn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw, VpnGatewayId=vgw,
                                Options={"StaticRoutesOnly": True})["VpnConnection"]
vid = vpn["VpnConnectionId"]
ip1 = vpn["Options"]["TunnelOptions"][0]["OutsideIpAddress"]

ACTIONS = ["CreateVpnConnection", "DeleteVpnConnection", "DescribeVpnConnections",
           "ModifyVpnConnection", "ModifyVpnConnectionOptions", "ModifyVpnTunnelOptions",
           "CreateVpnConnectionRoute", "DeleteVpnConnectionRoute", "GetVpnConnectionDeviceTypes",
           "GetVpnConnectionDeviceSampleConfiguration", "ReplaceVpnTunnel",
           "GetVpnTunnelReplacementStatus"]
TUNNEL = ["TunnelInsideCidr", "TunnelInsideIpv6Cidr", "PreSharedKey", "Phase1LifetimeSeconds",
          "Phase2LifetimeSeconds", "RekeyMarginTimeSeconds", "RekeyFuzzPercentage",
          "ReplayWindowSize", "DPDTimeoutSeconds", "DPDTimeoutAction", "StartupAction",
          "Phase1EncryptionAlgorithm.1.Value", "Phase2DHGroupNumber.7.Value",
          "IKEVersion.4294967295.Value", "Phase1DHGroupNumber.0.Value",
          "LogOptions.CloudWatchLogOptions.LogEnabled",
          "LogOptions.CloudWatchLogOptions.LogGroupArn", "EnableTunnelLifecycleControl", "Bogus"]
NAMES = (["VpnConnectionId", "VpnConnectionId.1", "VpnConnectionId.99999", "CustomerGatewayId",
          "VpnGatewayId", "TransitGatewayId", "Type", "DestinationCidrBlock",
          "VpnTunnelOutsideIpAddress", "VpnConnectionDeviceTypeId", "InternetKeyExchangeVersion",
          "LocalIpv4NetworkCidr", "RemoteIpv6NetworkCidr", "TunnelBandwidth", "MaxResults",
          "NextToken", "SkipTunnelReplacement", "ApplyPendingMaintenance", "Filter.1.Name",
          "Filter.1.Value.1", "Filter.50.Value.3", "TagSpecification.1.ResourceType",
          "TagSpecification.1.Tag.1.Key", "Options.StaticRoutesOnly",
          "Options.TunnelInsideIpVersion", "Options.OutsideIpAddressType",
          "Options.TransportTransitGatewayAttachmentId"]
         + ["Options.TunnelOptions.%d.%s" % (n, t) for n in (1, 2, 3, 0) for t in TUNNEL]
         + ["TunnelOptions." + t for t in TUNNEL])
VALUES = [vid, cgw, vgw, ip1, "ipsec.1", "169.254.10.0/30", "fd00::/126", "0.0.0.0/0", "true",
          "false", "", "0", "-1", "4294967296", "99999999999999999999", "18446744073709551616",
          "x" * 5000, "\u00e9\u4e2d\U0001F600", "%00", "a.b_C9xyz", "strongswan-swanctl",
          "ikev1", "ikev2", "AES128", "14", "5", "start", "restart", "vpn-", "cgw-0",
          "169.254.169.252/30", "255.255.255.255/32", "::/0", "*", "?", "tag:Name"]

rnd = random.Random(20261124)
bad = []
for i in range(600):
    params = {"Action": rnd.choice(ACTIONS), "Version": "2016-11-15"}
    for _ in range(rnd.randrange(0, 12)):
        params[rnd.choice(NAMES)] = rnd.choice(VALUES)
    status, body = d.raw(params)
    good = status == 200 or (
        400 <= status < 500 and re.search(r"<Code>[A-Za-z.]+</Code>", body) is not None
        and re.search(r"<Message>[^<]+</Message>", body) is not None)
    if not good:
        bad.append((status, params, body[:300]))
ok(not bad, "600 random VPN requests: 200 or a 4xx EC2 error, never 5xx")
for b in bad[:5]:
    print("  ", b)
ok(d.srv.alive(), "the server is still running")
v = ec2.describe_vpn_connections(VpnConnectionIds=[vid])["VpnConnections"]
eq(len(v), 1, "the connection is still described")

finish()
