#!/usr/bin/env python3
"""Every modify flow, with boto3 (and the CLI v1 for the operations /usr/bin/aws 2.9.19 lacks):
ModifyVpnConnection (new CGW, new VGW), ModifyVpnConnectionOptions (local/remote CIDRs; the
outside addresses and tunnel options stay), ModifyVpnTunnelOptions (one tunnel, found by its
outside address; the other stays; lifecycle control with SkipTunnelReplacement),
ReplaceVpnTunnel / GetVpnTunnelReplacementStatus, static routes on a BGP connection refused
(site-to-site.md 9.6, 9.7, claims 75, 87-93)."""
import botocore.exceptions

from vpnlib import Daemon, eq, finish, make_cgw, make_vgw, ok, wait_state

d = Daemon()
ec2 = d.ec2()


def code_of(fn, **kw):
    try:
        fn(**kw)
        return None
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]


cgw1, cgw2 = make_cgw(ec2, "192.0.2.51"), make_cgw(ec2, "192.0.2.52", asn=65010)
vgw1, vgw2 = make_vgw(ec2), make_vgw(ec2)
vpn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw1, VpnGatewayId=vgw1,
                                Options={"StaticRoutesOnly": True})["VpnConnection"]
vid = vpn["VpnConnectionId"]
wait_state(ec2, vid, "available")
before = ec2.describe_vpn_connections(VpnConnectionIds=[vid])["VpnConnections"][0]
tun_before = before["Options"]["TunnelOptions"]
ip1, ip2 = tun_before[0]["OutsideIpAddress"], tun_before[1]["OutsideIpAddress"]

# --- ModifyVpnConnection: customer gateway, then target gateway ------------------------------
m = ec2.modify_vpn_connection(VpnConnectionId=vid, CustomerGatewayId=cgw2)["VpnConnection"]
eq(m["CustomerGatewayId"], cgw2, "ModifyVpnConnection: new customer gateway")
eq([t["OutsideIpAddress"] for t in m["Options"]["TunnelOptions"]], [ip1, ip2],
   "ModifyVpnConnection keeps the outside addresses")
eq(m["Options"]["TunnelOptions"], tun_before, "ModifyVpnConnection keeps the tunnel options")
ok("192.0.2.52" in m["CustomerGatewayConfiguration"], "configuration names the new CGW address")
m = ec2.modify_vpn_connection(VpnConnectionId=vid, VpnGatewayId=vgw2)["VpnConnection"]
eq(m["VpnGatewayId"], vgw2, "ModifyVpnConnection: new virtual private gateway")
eq(code_of(ec2.modify_vpn_connection, VpnConnectionId=vid, CustomerGatewayId="cgw-00000000000000000"),
   "InvalidCustomerGatewayID.NotFound", "ModifyVpnConnection to an unknown CGW")
eq(code_of(ec2.modify_vpn_connection, VpnConnectionId=vid, VpnGatewayId="vgw-00000000000000000"),
   "InvalidVpnGatewayID.NotFound", "ModifyVpnConnection to an unknown VGW")
eq(code_of(ec2.modify_vpn_connection, VpnConnectionId="vpn-00000000000000000",
           CustomerGatewayId=cgw1), "InvalidVpnConnectionID.NotFound",
   "ModifyVpnConnection of an unknown connection")

other = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw1,
                                  VpnGatewayId=vgw2)["VpnConnection"]["VpnConnectionId"]
eq(code_of(ec2.modify_vpn_connection, VpnConnectionId=vid, CustomerGatewayId=cgw1),
   "InvalidOption.Conflict", "ModifyVpnConnection onto an existing CGW/VGW pair is refused")
m = ec2.modify_vpn_connection(VpnConnectionId=vid, VpnGatewayId=vgw2)["VpnConnection"]
eq(m["VpnGatewayId"], vgw2, "ModifyVpnConnection to the gateway it is on is accepted")
ec2.delete_vpn_connection(VpnConnectionId=other)

# --- ModifyVpnConnectionOptions ----------------------------------------------------------------
m = ec2.modify_vpn_connection_options(VpnConnectionId=vid, LocalIpv4NetworkCidr="10.20.0.0/16",
                                      RemoteIpv4NetworkCidr="172.16.0.0/12")["VpnConnection"]
eq(m["Options"]["LocalIpv4NetworkCidr"], "10.20.0.0/16", "LocalIpv4NetworkCidr changed")
eq(m["Options"]["RemoteIpv4NetworkCidr"], "172.16.0.0/12", "RemoteIpv4NetworkCidr changed")
eq(m["Options"]["TunnelOptions"], tun_before, "connection options keep the tunnel options")
eq(code_of(ec2.modify_vpn_connection_options, VpnConnectionId=vid,
           LocalIpv4NetworkCidr="10.20.0.1/16"), "InvalidParameterValue",
   "a CIDR with host bits is refused")
eq(code_of(ec2.modify_vpn_connection_options, VpnConnectionId=vid,
           LocalIpv6NetworkCidr="fd00::/8"), "InvalidParameterCombination",
   "IPv6 CIDRs on an IPv4 connection are refused")
samp = ec2.get_vpn_connection_device_sample_configuration(
    VpnConnectionId=vid, VpnConnectionDeviceTypeId="strongswan-swanctl")
text = samp["VpnConnectionDeviceSampleConfiguration"]
ok("local_ts = 10.20.0.0/16\n" in text and "remote_ts = 172.16.0.0/12\n" in text,
   "sample configuration uses the new traffic selectors")

# --- ModifyVpnTunnelOptions: tunnel 2 only -----------------------------------------------------
m = ec2.modify_vpn_tunnel_options(
    VpnConnectionId=vid, VpnTunnelOutsideIpAddress=ip2,
    TunnelOptions={"PreSharedKey": "new_psk_for.tunnel2", "DPDTimeoutSeconds": 60,
                   "DPDTimeoutAction": "restart", "Phase1DHGroupNumbers": [{"Value": 20}],
                   "TunnelInsideCidr": "169.254.99.0/30"})["VpnConnection"]
t1, t2 = m["Options"]["TunnelOptions"]
eq(t1, tun_before[0], "tunnel 1 untouched by a tunnel 2 modification")
eq(t2["PreSharedKey"], "new_psk_for.tunnel2", "tunnel 2 PSK changed")
eq(t2["DpdTimeoutSeconds"], 60, "tunnel 2 DPD timeout changed")
eq(t2["DpdTimeoutAction"], "restart", "tunnel 2 DPD action changed")
eq(t2["Phase1DHGroupNumbers"], [{"Value": 20}], "tunnel 2 phase 1 DH groups changed")
eq(t2["TunnelInsideCidr"], "169.254.99.0/30", "tunnel 2 inside CIDR changed")
eq(t2["Phase2LifetimeSeconds"], tun_before[1]["Phase2LifetimeSeconds"],
   "options not given stay as they were")
eq(t2["OutsideIpAddress"], ip2, "outside address stays")

# --- lifecycle control, replacement ------------------------------------------------------------
st = ec2.get_vpn_tunnel_replacement_status(VpnConnectionId=vid, VpnTunnelOutsideIpAddress=ip1)
eq(st["MaintenanceDetails"].get("PendingMaintenance"), "None", "no pending maintenance")
ok("LastMaintenanceApplied" not in st["MaintenanceDetails"], "never replaced yet")
eq(st["VpnGatewayId"], vgw2, "replacement status names the gateway")
m = ec2.modify_vpn_tunnel_options(VpnConnectionId=vid, VpnTunnelOutsideIpAddress=ip1,
                                  TunnelOptions={"EnableTunnelLifecycleControl": True},
                                  SkipTunnelReplacement=True)["VpnConnection"]
eq(m["Options"]["TunnelOptions"][0]["EnableTunnelLifecycleControl"], True,
   "lifecycle control on")
st = ec2.get_vpn_tunnel_replacement_status(VpnConnectionId=vid, VpnTunnelOutsideIpAddress=ip1)
ok("LastMaintenanceApplied" not in st["MaintenanceDetails"],
   "SkipTunnelReplacement: turning it on replaced nothing")
r = ec2.replace_vpn_tunnel(VpnConnectionId=vid, VpnTunnelOutsideIpAddress=ip1,
                           ApplyPendingMaintenance=True)
eq(r.get("Return"), True, "ReplaceVpnTunnel returns true")
st = ec2.get_vpn_tunnel_replacement_status(VpnConnectionId=vid, VpnTunnelOutsideIpAddress=ip1)
ok("LastMaintenanceApplied" in st["MaintenanceDetails"], "replacement recorded (LastMaintenanceApplied)")
st2 = ec2.get_vpn_tunnel_replacement_status(VpnConnectionId=vid, VpnTunnelOutsideIpAddress=ip2)
ok("LastMaintenanceApplied" not in st2["MaintenanceDetails"], "the other tunnel was not replaced")
eq(code_of(ec2.replace_vpn_tunnel, VpnConnectionId=vid, VpnTunnelOutsideIpAddress="203.0.113.1"),
   "InvalidParameterValue", "ReplaceVpnTunnel of an unknown outside address")
m = ec2.modify_vpn_tunnel_options(VpnConnectionId=vid, VpnTunnelOutsideIpAddress=ip2,
                                  TunnelOptions={"EnableTunnelLifecycleControl": True})
st2 = ec2.get_vpn_tunnel_replacement_status(VpnConnectionId=vid, VpnTunnelOutsideIpAddress=ip2)
ok("LastMaintenanceApplied" in st2["MaintenanceDetails"],
   "turning lifecycle control on without skip replaces the endpoint (G:651)")
rc, out, err = d.cli(1, "get-vpn-tunnel-replacement-status", "--vpn-connection-id", vid,
                     "--vpn-tunnel-outside-ip-address", ip1)
eq(out["VpnTunnelOutsideIpAddress"] if out else None, ip1, "CLI v1 get-vpn-tunnel-replacement-status")
rc, out, err = d.cli(1, "replace-vpn-tunnel", "--vpn-connection-id", vid,
                     "--vpn-tunnel-outside-ip-address", ip2)
eq(out, {"Return": True}, "CLI v1 replace-vpn-tunnel")

# --- static routes need a static connection on a VGW -------------------------------------------
bgp = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw1,
                                VpnGatewayId=vgw1)["VpnConnection"]["VpnConnectionId"]
eq(code_of(ec2.create_vpn_connection_route, VpnConnectionId=bgp,
           DestinationCidrBlock="10.1.0.0/16"), "InvalidVpnConnection.InvalidType",
   "static route on a BGP connection refused")
eq(code_of(ec2.create_vpn_connection_route, VpnConnectionId=vid,
           DestinationCidrBlock="10.1.0.0/33"), "InvalidRoute.Malformed",
   "malformed route refused")
eq(code_of(ec2.delete_vpn_connection_route, VpnConnectionId=vid,
           DestinationCidrBlock="10.9.0.0/16"), "InvalidRoute.NotFound",
   "deleting an absent route")
for i in range(100):
    ec2.create_vpn_connection_route(VpnConnectionId=vid, DestinationCidrBlock=f"10.{i}.0.0/16")
eq(code_of(ec2.create_vpn_connection_route, VpnConnectionId=vid,
           DestinationCidrBlock="10.200.0.0/16"), "RouteLimitExceeded",
   "the 101st static route is refused (G:5628)")
eq(len(ec2.describe_vpn_connections(VpnConnectionIds=[vid])["VpnConnections"][0]["Routes"]), 100,
   "100 routes listed")

# --- a deleted connection can no longer be modified ---------------------------------------------
ec2.delete_vpn_connection(VpnConnectionId=bgp)
eq(code_of(ec2.modify_vpn_connection_options, VpnConnectionId=bgp,
           LocalIpv4NetworkCidr="10.0.0.0/8"), "InvalidVpnConnection.InvalidState",
   "modifying a deleted connection is refused")

finish()
