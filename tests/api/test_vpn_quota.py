#!/usr/bin/env python3
"""Quotas (site-to-site.md section 8, claims 13, 14): 10 VPN connections per VGW, 50 per
Region (unassociated connections count too), one connection per CGW and VGW pair; a deleted
connection frees its slot; outside addresses are never shared and come back when freed."""
import botocore.exceptions

from vpnlib import Daemon, eq, finish, make_cgw, make_vgw, ok

d = Daemon(pool="198.51.100.0/24")
ec2 = d.ec2()


def create(cgw, vgw=None):
    kw = {"VpnGatewayId": vgw} if vgw else {}
    try:
        return ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw,
                                         **kw)["VpnConnection"], None
    except botocore.exceptions.ClientError as e:
        return None, e.response["Error"]


cgws = [make_cgw(ec2, f"192.0.2.{100 + i}") for i in range(11)]
vgws = [make_vgw(ec2) for _ in range(5)]
outs = set()
made = []


def fill(vgw_list):
    for v in vgw_list:
        for c in cgws[:10]:
            yield v, c


for n, (v, c) in enumerate(fill(vgws[:1])):
    conn, err = create(c, v)
    ok(conn is not None, f"connection {n + 1} on {v}")
    if conn:
        made.append(conn["VpnConnectionId"])
        outs.update(t["OutsideIpAddress"] for t in conn["Options"]["TunnelOptions"])
conn, err = create(cgws[10], vgws[0])
eq(err and err["Code"], "VpnConnectionLimitExceeded", "the 11th connection on one VGW is refused")
ok(err is not None and vgws[0] in err["Message"], "the message names the VGW")

for v, c in fill(vgws[1:]):
    conn, err = create(c, v)
    if not ok(conn is not None, f"connection {len(made) + 1} on {v}"):
        print(err)
        break
    made.append(conn["VpnConnectionId"])
    outs.update(t["OutsideIpAddress"] for t in conn["Options"]["TunnelOptions"])
eq(len(outs), 2 * len(made), "every tunnel has its own outside address")
eq(len(made), 50, "50 connections in the Region")
conn, err = create(cgws[0], vgws[1])
ok(err is not None and err["Code"] in ("VpnConnectionLimitExceeded", "InvalidOption.Conflict"),
   "a second connection for one CGW and VGW pair is refused")
conn, err = create(cgws[10])
eq(err and err["Code"], "VpnConnectionLimitExceeded",
   "the 51st connection in the Region (unassociated) is refused")
ok(err is not None and "Region" in err["Message"], "the message names the Region limit")

ec2.delete_vpn_connection(VpnConnectionId=made[0])
conn, err = create(cgws[10], vgws[0])
ok(conn is not None, "a deleted connection frees its slot on the VGW and in the Region")
if conn:
    got = {t["OutsideIpAddress"] for t in conn["Options"]["TunnelOptions"]}
    ok(len(got) == 2, "the new connection has two distinct outside addresses")

finish()
