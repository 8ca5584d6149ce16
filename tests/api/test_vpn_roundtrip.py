#!/usr/bin/env python3
"""Round trip with boto3: every option CreateVpnConnection accepts comes back from
DescribeVpnConnections as given, and every option not given comes back with the documented
default (site-to-site.md section 2, claim 38). Also: two tunnels with distinct outside
addresses (claim 15), generated PSKs and inside /30s (claims 22), the native XML's paths."""
import re
import xml.etree.ElementTree as ET

from vpnlib import Daemon, eq, finish, make_cgw, make_vgw, ok, wait_state

d = Daemon()
ec2 = d.ec2()
cgw = make_cgw(ec2, "192.0.2.10")
vgw = make_vgw(ec2)

# --- every option given (tunnel 1), tunnel 2 left to its defaults ---------------------------
T1 = {
    "TunnelInsideCidr": "169.254.44.232/30",
    "PreSharedKey": "a.b_C9xyz_given",
    "Phase1LifetimeSeconds": 14400,
    "Phase2LifetimeSeconds": 1800,
    "RekeyMarginTimeSeconds": 600,
    "RekeyFuzzPercentage": 50,
    "ReplayWindowSize": 2048,
    "DPDTimeoutSeconds": 45,
    "DPDTimeoutAction": "restart",
    "Phase1EncryptionAlgorithms": [{"Value": "AES256"}, {"Value": "AES128-GCM-16"}],
    "Phase2EncryptionAlgorithms": [{"Value": "AES256-GCM-16"}],
    "Phase1IntegrityAlgorithms": [{"Value": "SHA2-256"}, {"Value": "SHA2-512"}],
    "Phase2IntegrityAlgorithms": [{"Value": "SHA2-384"}],
    "Phase1DHGroupNumbers": [{"Value": 14}, {"Value": 19}, {"Value": 24}],
    "Phase2DHGroupNumbers": [{"Value": 5}, {"Value": 20}],
    "IKEVersions": [{"Value": "ikev2"}],
    "StartupAction": "start",
    "LogOptions": {"CloudWatchLogOptions": {
        "LogEnabled": True,
        "LogGroupArn": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/vpn",
        "LogOutputFormat": "text"}},
    "EnableTunnelLifecycleControl": True,
}
OPTS = {
    "StaticRoutesOnly": True,
    "LocalIpv4NetworkCidr": "10.10.0.0/16",
    "RemoteIpv4NetworkCidr": "172.31.0.0/16",
    "TunnelInsideIpVersion": "ipv4",
    "OutsideIpAddressType": "PublicIpv4",
    "EnableAcceleration": False,
    "TunnelOptions": [T1, {}],
}
created = ec2.create_vpn_connection(
    Type="ipsec.1", CustomerGatewayId=cgw, VpnGatewayId=vgw, Options=OPTS,
    TagSpecifications=[{"ResourceType": "vpn-connection",
                        "Tags": [{"Key": "Name", "Value": "site-a"}]}])["VpnConnection"]
vpn_id = created["VpnConnectionId"]
ok(vpn_id.startswith("vpn-"), "CreateVpnConnection returns a vpn- id")
eq(created["State"], "pending", "new connection is pending")
v = wait_state(ec2, vpn_id, "available")
ok(v is not None, "connection becomes available")
v = v or created

eq(v["Type"], "ipsec.1", "Type")
eq(v["Category"], "VPN", "Category")
eq(v["CustomerGatewayId"], cgw, "CustomerGatewayId")
eq(v["VpnGatewayId"], vgw, "VpnGatewayId")
eq(v.get("Tags"), [{"Key": "Name", "Value": "site-a"}], "tags from TagSpecification")
o = v["Options"]
for k in ("StaticRoutesOnly", "LocalIpv4NetworkCidr", "RemoteIpv4NetworkCidr",
          "TunnelInsideIpVersion", "OutsideIpAddressType", "EnableAcceleration"):
    eq(o.get(k), OPTS[k], f"option {k} echoed")


def as_set(lst):
    return sorted(str(x["Value"]) for x in lst)


t1, t2 = o["TunnelOptions"]
SCALARS = {"TunnelInsideCidr": "TunnelInsideCidr", "PreSharedKey": "PreSharedKey",
           "Phase1LifetimeSeconds": "Phase1LifetimeSeconds",
           "Phase2LifetimeSeconds": "Phase2LifetimeSeconds",
           "RekeyMarginTimeSeconds": "RekeyMarginTimeSeconds",
           "RekeyFuzzPercentage": "RekeyFuzzPercentage", "ReplayWindowSize": "ReplayWindowSize",
           "DPDTimeoutSeconds": "DpdTimeoutSeconds", "DPDTimeoutAction": "DpdTimeoutAction",
           "StartupAction": "StartupAction",
           "EnableTunnelLifecycleControl": "EnableTunnelLifecycleControl"}
for given, out in SCALARS.items():
    eq(t1.get(out), T1[given], f"tunnel 1 {given} echoed")
LISTS = {"Phase1EncryptionAlgorithms": "Phase1EncryptionAlgorithms",
         "Phase2EncryptionAlgorithms": "Phase2EncryptionAlgorithms",
         "Phase1IntegrityAlgorithms": "Phase1IntegrityAlgorithms",
         "Phase2IntegrityAlgorithms": "Phase2IntegrityAlgorithms",
         "Phase1DHGroupNumbers": "Phase1DHGroupNumbers",
         "Phase2DHGroupNumbers": "Phase2DHGroupNumbers", "IKEVersions": "IkeVersions"}
for given, out in LISTS.items():
    eq(as_set(t1.get(out, [])), as_set(T1[given]), f"tunnel 1 {given} echoed")
eq(t1["LogOptions"]["CloudWatchLogOptions"], T1["LogOptions"]["CloudWatchLogOptions"],
   "tunnel 1 LogOptions echoed")

# --- tunnel 2: the documented defaults --------------------------------------------------------
DEFAULTS = {"Phase1LifetimeSeconds": 28800, "Phase2LifetimeSeconds": 3600,
            "RekeyMarginTimeSeconds": 270, "RekeyFuzzPercentage": 100, "ReplayWindowSize": 1024,
            "DpdTimeoutSeconds": 40, "DpdTimeoutAction": "clear", "StartupAction": "add",
            "EnableTunnelLifecycleControl": False}
for k, want in DEFAULTS.items():
    eq(t2.get(k), want, f"tunnel 2 default {k}")
DEFAULT_SETS = {
    "Phase1EncryptionAlgorithms": ["AES128", "AES128-GCM-16", "AES256", "AES256-GCM-16"],
    "Phase2EncryptionAlgorithms": ["AES128", "AES128-GCM-16", "AES256", "AES256-GCM-16"],
    "Phase1IntegrityAlgorithms": ["SHA1", "SHA2-256", "SHA2-384", "SHA2-512"],
    "Phase2IntegrityAlgorithms": ["SHA1", "SHA2-256", "SHA2-384", "SHA2-512"],
    "Phase1DHGroupNumbers": sorted(str(g) for g in [2] + list(range(14, 25))),
    "Phase2DHGroupNumbers": sorted(str(g) for g in [2, 5] + list(range(14, 25))),
    "IkeVersions": ["ikev1", "ikev2"],
}
for k, want in DEFAULT_SETS.items():
    eq(as_set(t2.get(k, [])), want, f"tunnel 2 default {k}")
eq(t2["LogOptions"]["CloudWatchLogOptions"].get("LogEnabled"), False, "logging off by default")
psk2 = t2.get("PreSharedKey", "")
ok(re.fullmatch(r"[1-9a-zA-Z][0-9a-zA-Z]{31}", psk2) is not None,
   "generated PSK: 32 alphanumeric characters, not starting with 0")
cidr2 = t2.get("TunnelInsideCidr", "")
m = re.fullmatch(r"169\.254\.(\d+)\.(\d+)/30", cidr2)
ok(m is not None and int(m.group(2)) % 4 == 0 and cidr2 != T1["TunnelInsideCidr"],
   f"generated inside CIDR is a /30 in 169.254.0.0/16 ({cidr2})")
ok(t1["OutsideIpAddress"] != t2["OutsideIpAddress"], "two distinct tunnel outside addresses")
tele = v.get("VgwTelemetry", [])
eq(sorted(t["OutsideIpAddress"] for t in tele),
   sorted([t1["OutsideIpAddress"], t2["OutsideIpAddress"]]), "VgwTelemetry per tunnel")
ok(all(t["Status"] == "DOWN" for t in tele), "telemetry DOWN until the engine reports")

# --- nothing given at all: every default (claim 38) -------------------------------------------
cgw_b = make_cgw(ec2, "192.0.2.11")
plain = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw_b,
                                  VpnGatewayId=vgw)["VpnConnection"]
po = plain["Options"]
eq(po.get("StaticRoutesOnly"), False, "default StaticRoutesOnly false")
eq(po.get("LocalIpv4NetworkCidr"), "0.0.0.0/0", "default LocalIpv4NetworkCidr")
eq(po.get("RemoteIpv4NetworkCidr"), "0.0.0.0/0", "default RemoteIpv4NetworkCidr")
eq(po.get("TunnelInsideIpVersion"), "ipv4", "default TunnelInsideIpVersion")
eq(po.get("OutsideIpAddressType"), "PublicIpv4", "default OutsideIpAddressType")
for t in po["TunnelOptions"]:
    for k, want in DEFAULTS.items():
        eq(t.get(k), want, f"plain connection default {k}")
pa, pb = po["TunnelOptions"]
ok(pa["PreSharedKey"] != pb["PreSharedKey"], "the two generated PSKs differ")
ok(pa["TunnelInsideCidr"] != pb["TunnelInsideCidr"], "the two generated /30s differ")
used = {t1["TunnelInsideCidr"], t2["TunnelInsideCidr"]}
ok(pa["TunnelInsideCidr"] not in used and pb["TunnelInsideCidr"] not in used,
   "generated /30s avoid the ones in use on the VGW")
outs = {t1["OutsideIpAddress"], t2["OutsideIpAddress"]}
ok(pa["OutsideIpAddress"] not in outs and pb["OutsideIpAddress"] not in outs,
   "outside addresses are not shared between connections")

# --- CustomerGatewayConfiguration: element paths and whose address is whose -------------------
root = ET.fromstring(v["CustomerGatewayConfiguration"])
eq(root.tag, "vpn_connection", "XML root")
eq(root.get("id"), vpn_id, "XML vpn_connection id")
eq(root.findtext("customer_gateway_id"), cgw, "XML customer_gateway_id")
eq(root.findtext("vpn_gateway_id"), vgw, "XML vpn_gateway_id")
eq(root.findtext("vpn_connection_attributes"), "NoBGPVPNConnection", "XML static attribute")
tunnels = root.findall("ipsec_tunnel")
eq(len(tunnels), 2, "XML has two ipsec_tunnel")
by_ip = {x.findtext("vpn_gateway/tunnel_outside_address/ip_address"): x for x in tunnels}
x1 = by_ip.get(t1["OutsideIpAddress"])
ok(x1 is not None, "XML tunnel found by its outside address")
if x1 is not None:
    eq(x1.findtext("ike/pre_shared_key"), T1["PreSharedKey"], "XML ike/pre_shared_key")
    eq(x1.findtext("vpn_gateway/tunnel_inside_address/ip_address"), "169.254.44.233",
       "XML gateway inside address = first host")
    eq(x1.findtext("customer_gateway/tunnel_inside_address/ip_address"), "169.254.44.234",
       "XML customer gateway inside address = second host")
    eq(x1.findtext("customer_gateway/tunnel_outside_address/ip_address"), "192.0.2.10",
       "XML customer gateway outside address")
    eq(x1.findtext("ike/lifetime"), "14400", "XML ike/lifetime = the tunnel's")
    eq(x1.findtext("ike/encryption_protocol"), "aes-256-cbc", "XML first allowed encryption")
    eq(x1.findtext("ipsec/lifetime"), "1800", "XML ipsec/lifetime = the tunnel's")

# --- describe filters ------------------------------------------------------------------------
f = ec2.describe_vpn_connections(Filters=[{"Name": "tag:Name", "Values": ["site-a"]}])
eq([c["VpnConnectionId"] for c in f["VpnConnections"]], [vpn_id], "filter tag:Name")
f = ec2.describe_vpn_connections(Filters=[{"Name": "customer-gateway-id", "Values": [cgw_b]}])
eq([c["VpnConnectionId"] for c in f["VpnConnections"]], [plain["VpnConnectionId"]],
   "filter customer-gateway-id")
f = ec2.describe_vpn_connections(Filters=[{"Name": "option.static-routes-only",
                                           "Values": ["true"]},
                                          {"Name": "vpn-gateway-id", "Values": [vgw]}])
eq([c["VpnConnectionId"] for c in f["VpnConnections"]], [vpn_id],
   "filters option.static-routes-only AND vpn-gateway-id")
f = ec2.describe_vpn_connections(Filters=[{"Name": "bgp-asn", "Values": ["65000"]},
                                          {"Name": "type", "Values": ["ipsec.1"]}])
eq(len(f["VpnConnections"]), 2, "filters bgp-asn and type")
f = ec2.describe_vpn_connections(Filters=[{"Name": "customer-gateway-configuration",
                                           "Values": ["*" + t1["PreSharedKey"] + "*"]}])
eq([c["VpnConnectionId"] for c in f["VpnConnections"]], [vpn_id],
   "filter customer-gateway-configuration (wildcards)")

finish()
