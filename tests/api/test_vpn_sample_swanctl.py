#!/usr/bin/env python3
"""The strongSwan sample configuration downloaded with the aws CLI loads, unchanged, into a
real strongSwan 5.9 charon (kernel-libipsec) in a network namespace: both connections and
both secrets load, the proposals parse (every DH group and cipher keyword), and charon starts
initiating IKE to the tunnels' outside addresses. Run for an all-defaults connection and for a
restricted IKEv1 one.

Topology (namespaces "$GH_RUN_ID-cgw" and "$GH_RUN_ID-gw", made by tests/net/lib.sh):

    [cgw] eth0 192.0.2.2/24 ---- veth ---- eth0 192.0.2.1/24 [gw] + 198.51.100.1-2/32
          charon + swanctl.conf from GetVpnConnectionDeviceSampleConfiguration

Nothing answers IKE in "gw" (this test is about the file; the tunnel engine's interop tests
bring tunnels up); no packet leaves the two namespaces.
"""
import os
import subprocess
import tempfile

from vpnlib import ROOT, Daemon, eq, finish, make_vgw, ok

if os.geteuid() != 0:
    raise SystemExit("needs root (network namespaces, charon)")

d = Daemon(pool="198.51.100.1,198.51.100.2,198.51.100.3,198.51.100.4")
ec2 = d.ec2()
cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="192.0.2.2",
                                  BgpAsn=65000)["CustomerGateway"]["CustomerGatewayId"]
vgw = make_vgw(ec2)
vgw_b = make_vgw(ec2)
plain = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw, VpnGatewayId=vgw,
                                  Options={"StaticRoutesOnly": True})["VpnConnection"]
v1opts = {"Phase1EncryptionAlgorithms": [{"Value": "AES256-GCM-16"}],
          "Phase1IntegrityAlgorithms": [{"Value": "SHA2-384"}],
          "Phase1DHGroupNumbers": [{"Value": 24}], "Phase2DHGroupNumbers": [{"Value": 5}],
          "Phase2EncryptionAlgorithms": [{"Value": "AES256"}],
          "Phase2IntegrityAlgorithms": [{"Value": "SHA2-512"}],
          "IKEVersions": [{"Value": "ikev1"}], "Phase2LifetimeSeconds": 900,
          "RekeyMarginTimeSeconds": 450}
restricted = ec2.create_vpn_connection(
    Type="ipsec.1", CustomerGatewayId=cgw, VpnGatewayId=vgw_b,
    Options={"TunnelOptions": [v1opts, v1opts]})["VpnConnection"]

SCRIPT = r'''
. "$GH_ROOT/tests/net/lib.sh"
ns_add cgw; ns_add gw
link_add cgw eth0 192.0.2.2/24 gw eth0 192.0.2.1/24
for a in $OUTSIDE; do addr_add gw eth0 $a/32; done
route_add cgw 198.51.100.0/24 192.0.2.1
ss_start cgw
cp "$CONF" "$(ss_dir cgw)/swanctl.conf"
ss_load cgw
cat "$(ss_dir cgw)/load.out"
swanctl_ns cgw --list-conns
# charon starts IKE towards tunnel 1 (start_action = start): it shows in the log.
wait_for 10 grep -q "initiating .*198.51.100" "$(ss_dir cgw)/charon.log" && echo INITIATED
grep -E "invalid|unknown|not supported|failed" "$(ss_dir cgw)/charon.log" | grep -v "opening directory" || true
'''

for name, vpn in (("defaults, ikev2", plain), ("restricted, ikev1", restricted)):
    rc, out, err = d.cli(1, "get-vpn-connection-device-sample-configuration", "--vpn-connection-id",
                         vpn["VpnConnectionId"], "--vpn-connection-device-type-id",
                         "strongswan-swanctl")
    conf = out["VpnConnectionDeviceSampleConfiguration"]
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write(conf)
    outside = " ".join(t["OutsideIpAddress"] for t in vpn["Options"]["TunnelOptions"])
    env = dict(os.environ, GH_ROOT=ROOT, CONF=f.name, OUTSIDE=outside,
               GH_RUN_ID=os.environ.get("GH_RUN_ID", f"gh{os.getpid()}") + "sw")
    p = subprocess.run(["bash", "-c", SCRIPT], capture_output=True, text=True, env=env,
                       timeout=120)
    os.unlink(f.name)
    log = p.stdout + p.stderr
    eq(p.returncode, 0, f"{name}: charon started and swanctl --load-all succeeded")
    ok("successfully loaded 2 connections, 0 unloaded" in log, f"{name}: 2 connections loaded")
    ok("loaded ike secret 'ike-tun1'" in log and "loaded ike secret 'ike-tun2'" in log,
       f"{name}: both PSKs loaded")
    for t in vpn["Options"]["TunnelOptions"]:
        ok(f"remote: {t['OutsideIpAddress']}" in log, f"{name}: connection to {t['OutsideIpAddress']}")
    want = "IKEv1" if "ikev1" in name else "IKEv2"
    ok(log.count(f": {want},") == 2, f"{name}: both connections {want}")
    ok("INITIATED" in log, f"{name}: charon initiates IKE to the gateway")
    if p.returncode != 0 or "INITIATED" not in log or os.environ.get("GH_VERBOSE"):
        print(log[-3000:])

finish()
