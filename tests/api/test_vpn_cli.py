#!/usr/bin/env python3
"""The getting-started sequence (site-to-site.md 9.1, 9.5) with the real aws CLI, v1 (`aws`)
and v2 (/usr/bin/aws): customer gateway, virtual private gateway, VPN connection with static
routing, wait for available, device types, strongSwan sample configuration, static routes,
describe with filters, delete (state deleted, CGW and VGW untouched). Also the CLI-visible
error of a validation failure, and that v2 lacks ReplaceVpnTunnel."""
import re

from vpnlib import CLI_V2, Daemon, eq, finish, ok

d = Daemon(state_delay_ms=300)


def run(version, *args, **kw):
    return d.cli(version, *args, **kw)


for ver in (1, 2):
    tag = f"v{ver}"
    _, cg, _ = run(ver, "create-customer-gateway", "--type", "ipsec.1", "--public-ip",
                   f"192.0.2.{40 + ver}", "--bgp-asn", "65000")
    cgw = cg["CustomerGateway"]["CustomerGatewayId"]
    _, vg, _ = run(ver, "create-vpn-gateway", "--type", "ipsec.1")
    vgw = vg["VpnGateway"]["VpnGatewayId"]
    _, vc, _ = run(ver, "create-vpn-connection", "--type", "ipsec.1", "--customer-gateway-id", cgw,
                   "--vpn-gateway-id", vgw, "--options",
                   '{"StaticRoutesOnly":true,"TunnelOptions":[{"DPDTimeoutSeconds":35},'
                   '{"IKEVersions":[{"Value":"ikev2"}]}]}',
                   "--tag-specifications",
                   "ResourceType=vpn-connection,Tags=[{Key=Name,Value=cli-" + tag + "}]")
    vpn = vc["VpnConnection"]
    vpn_id = vpn["VpnConnectionId"]
    ok(vpn_id.startswith("vpn-"), f"{tag}: create-vpn-connection")
    eq(vpn["Options"]["TunnelOptions"][0]["DpdTimeoutSeconds"], 35, f"{tag}: tunnel 1 DPD timeout")
    rc, _, err = run(ver, "wait", "vpn-connection-available", "--vpn-connection-ids", vpn_id,
                     check=False)
    eq(rc, 0, f"{tag}: wait vpn-connection-available ({err.strip()[:200]})")

    _, types, _ = run(ver, "get-vpn-connection-device-types")
    ids = [t["VpnConnectionDeviceTypeId"] for t in types["VpnConnectionDeviceTypes"]]
    ok("strongswan-swanctl" in ids and "generic" in ids, f"{tag}: device types listed")
    _, sample, _ = run(ver, "get-vpn-connection-device-sample-configuration",
                       "--vpn-connection-id", vpn_id, "--vpn-connection-device-type-id",
                       "strongswan-swanctl", "--internet-key-exchange-version", "ikev2")
    text = sample["VpnConnectionDeviceSampleConfiguration"]
    for t in vpn["Options"]["TunnelOptions"]:
        ok(f"remote_addrs = {t['OutsideIpAddress']}\n" in text,
           f"{tag}: sample names tunnel outside {t['OutsideIpAddress']}")
        ok(f'secret = "{t["PreSharedKey"]}"\n' in text, f"{tag}: sample carries the tunnel PSK")
    rc, _, err = run(ver, "get-vpn-connection-device-sample-configuration",
                     "--vpn-connection-id", vpn_id, "--vpn-connection-device-type-id",
                     "strongswan-swanctl", "--internet-key-exchange-version", "ikev1", check=False)
    ok(rc != 0 and "InvalidParameterValue" in err,
       f"{tag}: ikev1 sample refused when tunnel 2 allows only ikev2")

    run(ver, "create-vpn-connection-route", "--vpn-connection-id", vpn_id,
        "--destination-cidr-block", "192.168.10.0/24")
    _, ds, _ = run(ver, "describe-vpn-connections", "--filters",
                   "Name=route.destination-cidr-block,Values=192.168.10.0/24")
    eq([c["VpnConnectionId"] for c in ds["VpnConnections"]], [vpn_id],
       f"{tag}: filter route.destination-cidr-block")
    eq(ds["VpnConnections"][0]["Routes"],
       [{"DestinationCidrBlock": "192.168.10.0/24", "Source": "Static", "State": "available"}],
       f"{tag}: Routes")
    rc, _, err = run(ver, "create-vpn-connection-route", "--vpn-connection-id", vpn_id,
                     "--destination-cidr-block", "192.168.10.0/24", check=False)
    ok(rc != 0 and "RouteAlreadyExists" in err, f"{tag}: duplicate route refused")
    run(ver, "delete-vpn-connection-route", "--vpn-connection-id", vpn_id,
        "--destination-cidr-block", "192.168.10.0/24")
    _, ds, _ = run(ver, "describe-vpn-connections", "--vpn-connection-ids", vpn_id)
    eq(ds["VpnConnections"][0].get("Routes", []), [], f"{tag}: route deleted")

    rc, _, err = run(ver, "create-vpn-connection", "--type", "ipsec.1", "--customer-gateway-id",
                     cgw, "--vpn-gateway-id", vgw, "--options",
                     '{"TunnelOptions":[{"Phase1DHGroupNumbers":[{"Value":5}]}]}', check=False)
    eq(rc, 255 if ver == 1 else 254, f"{tag}: service error exit status")
    ok("InvalidParameterValue" in err and "Phase1DHGroupNumbers" in err,
       f"{tag}: CLI shows the code and message ({err.strip()[:160]})")

    run(ver, "delete-vpn-connection", "--vpn-connection-id", vpn_id)
    rc, _, err = run(ver, "wait", "vpn-connection-deleted", "--vpn-connection-ids", vpn_id,
                     check=False)
    eq(rc, 0, f"{tag}: wait vpn-connection-deleted ({err.strip()[:200]})")
    _, ds, _ = run(ver, "describe-vpn-connections", "--vpn-connection-ids", vpn_id)
    eq(ds["VpnConnections"][0]["State"], "deleted", f"{tag}: deleted stays visible")
    ok("CustomerGatewayConfiguration" not in ds["VpnConnections"][0],
       f"{tag}: no CustomerGatewayConfiguration once deleted")
    _, cgs, _ = run(ver, "describe-customer-gateways", "--customer-gateway-ids", cgw)
    eq(cgs["CustomerGateways"][0]["State"], "available", f"{tag}: CGW untouched by the delete")
    _, vgs, _ = run(ver, "describe-vpn-gateways", "--vpn-gateway-ids", vgw)
    eq(vgs["VpnGateways"][0]["State"], "available", f"{tag}: VGW untouched by the delete")

rc, _, err = run(2, "replace-vpn-tunnel", "--vpn-connection-id", "vpn-0", "--vpn-tunnel-outside-ip-address",
                 "198.51.100.1", check=False)
ok(rc != 0 and re.search(r"invalid choice|Invalid choice", err) is not None,
   f"{CLI_V2} (2.9.19) has no replace-vpn-tunnel")

finish()
