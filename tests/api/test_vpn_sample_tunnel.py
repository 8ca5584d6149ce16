#!/usr/bin/env python3
"""End to end: the strongSwan sample configuration that GetVpnConnectionDeviceSampleConfiguration
returns (downloaded with the aws CLI) brings a real strongSwan 5.9.8 customer gateway up,
UNCHANGED, against Gatehouse's tunnel engine running the same connection's tunnels: IKE SA and
CHILD SA established, the engine reports the tunnel UP, and traffic crosses the tunnel.

The connection is created through the EC2 API (outside addresses from the pool 198.51.100.1-2,
generated PSKs and inside /30s); the engine gets that connection's tunnels as a configuration
file (the engine_run driver: gatehoused's engine without the API, tests/tools/engine_run.c).

Topology (tests/net/s2s_lib.bash, namespaces "$GH_RUN_ID-*"):

    cgwhost 172.16.1.10 -- cgw 192.0.2.2 ====== 198.51.100.1/.2 gw -- 10.0.1.10 vpchost
                           (strongSwan +        (Gatehouse engine)
                            sample swanctl.conf)
"""
import os
import re
import subprocess
import tempfile

from vpnlib import ROOT, Daemon, eq, finish, make_vgw, ok

if os.geteuid() != 0:
    raise SystemExit("needs root (network namespaces, charon, TUN)")

ENGINE_RUN = os.environ.get("GH_ENGINE_RUN", os.path.join(ROOT, "build-san", "tools", "engine_run"))
if not os.access(ENGINE_RUN, os.X_OK):
    raise SystemExit(f"no engine_run at {ENGINE_RUN} (make SAN=1 tests)")

SCRIPT = r'''
. "$GH_ROOT/tests/net/lib.sh"
. "$GH_ROOT/tests/net/s2s_lib.bash"
s2s_topology
gh_start "$CONF"
s2s_ss_start cgw $S2S_VPC
cp "$SAMPLE" "$(ss_dir cgw)/swanctl.conf"          # the downloaded file, unchanged
ss_load cgw
ss_wait_child cgw tun1 40 && echo "CHILD1 INSTALLED"
wait_for 15 grep -q "^$VPN 1 UP " "$GH_TMP/status" && echo "ENGINE1 UP"
wait_for 15 grep -q "^$VPN 2 UP " "$GH_TMP/status" && echo "ENGINE2 UP"
swanctl_ns cgw --list-sas | grep -q "^aws-tun1: #[0-9]*, ESTABLISHED, IKEv2" && echo "IKE1 ESTABLISHED"
swanctl_ns cgw --list-sas | grep -q "^aws-tun2: #[0-9]*, ESTABLISHED, IKEv2" && echo "IKE2 ESTABLISHED"
ping_ok cgwhost $S2S_VPCHOST && echo "PING OK"
swanctl_ns cgw --list-sas | head -40
cat "$GH_TMP/status"
s2s_finish
'''

# API tunnel options -> the engine configuration file's keywords (conf/parse.c).
CONF_KEYS = {"Phase1EncryptionAlgorithms": "phase1-encryption-algorithms",
             "Phase2EncryptionAlgorithms": "phase2-encryption-algorithms",
             "Phase1IntegrityAlgorithms": "phase1-integrity-algorithms",
             "Phase2IntegrityAlgorithms": "phase2-integrity-algorithms",
             "Phase1DHGroupNumbers": "phase1-dh-group-numbers",
             "Phase2DHGroupNumbers": "phase2-dh-group-numbers", "IKEVersions": "ike-versions",
             "Phase1LifetimeSeconds": "phase1-lifetime-seconds",
             "Phase2LifetimeSeconds": "phase2-lifetime-seconds",
             "RekeyMarginTimeSeconds": "rekey-margin-time-seconds"}


def engine_conf(vid, tunnels, given):
    conf = ["log-level debug", "outside-address 198.51.100.1 198.51.100.2",
            "vpc-network 10.0.1.0/24"]
    for i, t in enumerate(tunnels, 1):
        conf += [f"tunnel {vid} {i} {{", f"\tlocal-address {t['OutsideIpAddress']}",
                 "\tremote-address 192.0.2.2", f"\tinside-cidr {t['TunnelInsideCidr']}",
                 f"\tpre-shared-key \"{t['PreSharedKey']}\"",
                 f"\tstartup-action {t['StartupAction']}",
                 f"\troute 172.16.1.0/24 priority {100 * i}"]
        for k, v in given.items():
            if k in CONF_KEYS:
                vals = " ".join(str(x["Value"]) for x in v) if isinstance(v, list) else str(v)
                conf.append(f"\t{CONF_KEYS[k]} {vals}")
        conf.append("}")
    return "\n".join(conf) + "\n"


def scenario(name, given):
    d = Daemon(pool="198.51.100.1,198.51.100.2")
    ec2 = d.ec2()
    cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="192.0.2.2",
                                      BgpAsn=65000)["CustomerGateway"]["CustomerGatewayId"]
    vgw = make_vgw(ec2)
    opts = {"StaticRoutesOnly": True}
    if given:
        opts["TunnelOptions"] = [given, given]
    vpn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw, VpnGatewayId=vgw,
                                    Options=opts)["VpnConnection"]
    vid = vpn["VpnConnectionId"]
    ec2.create_vpn_connection_route(VpnConnectionId=vid, DestinationCidrBlock="172.16.1.0/24")
    tunnels = vpn["Options"]["TunnelOptions"]
    eq(sorted(t["OutsideIpAddress"] for t in tunnels), ["198.51.100.1", "198.51.100.2"],
       f"{name}: outside addresses from the pool")
    rc, out, err = d.cli(1, "get-vpn-connection-device-sample-configuration",
                         "--vpn-connection-id", vid, "--vpn-connection-device-type-id",
                         "strongswan-swanctl", "--internet-key-exchange-version", "ikev2")
    sample = out["VpnConnectionDeviceSampleConfiguration"]
    work = tempfile.mkdtemp(prefix="gh-vpn-e2e-")
    conf_path, sample_path = os.path.join(work, "gatehoused.conf"), os.path.join(work, "swanctl.conf")
    with open(conf_path, "w") as f:
        f.write(engine_conf(vid, tunnels, given))
    with open(sample_path, "w") as f:
        f.write(sample)
    env = dict(os.environ, GH_ROOT=ROOT, CONF=conf_path, SAMPLE=sample_path, VPN=vid,
               GH_ENGINE_RUN=ENGINE_RUN,
               GH_RUN_ID=os.environ.get("GH_RUN_ID", f"gh{os.getpid()}") + "e2")
    p = subprocess.run(["bash", "-c", SCRIPT], capture_output=True, text=True, env=env,
                       timeout=300)
    log = p.stdout + p.stderr
    ok("CHILD1 INSTALLED" in log, f"{name}: strongSwan with the sample config: CHILD SA installed")
    ok("ENGINE1 UP" in log and "ENGINE2 UP" in log, f"{name}: the engine reports both tunnels UP")
    ok("IKE1 ESTABLISHED" in log and "IKE2 ESTABLISHED" in log,
       f"{name}: both IKE SAs established from the sample config")
    ok("PING OK" in log, f"{name}: traffic crosses the tunnel (cgwhost -> vpchost)")
    eq(p.returncode, 0, f"{name}: clean shutdown, no sanitizer report")
    if p.returncode != 0 or os.environ.get("GH_VERBOSE") or "PING OK" not in log:
        print(log[-5000:])
    subprocess.run(["rm", "-rf", work])
    d.stop()
    return log


scenario("defaults", {})
log = scenario("restricted, gateway initiates", {
    "Phase1EncryptionAlgorithms": [{"Value": "AES256-GCM-16"}],
    "Phase1IntegrityAlgorithms": [{"Value": "SHA2-384"}],
    "Phase1DHGroupNumbers": [{"Value": 20}],
    "Phase2EncryptionAlgorithms": [{"Value": "AES256-GCM-16"}],
    "Phase2DHGroupNumbers": [{"Value": 20}],
    "IKEVersions": [{"Value": "ikev2"}],
    "Phase1LifetimeSeconds": 3600, "Phase2LifetimeSeconds": 1800,
    "RekeyMarginTimeSeconds": 300, "StartupAction": "start"})
ok("AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384" in log,
   "restricted: the IKE SA uses exactly the allowed AES256-GCM-16 / SHA2-384 / group 20")
# strongSwan marks its own SPI with '*': "_r*" = the customer gateway responded, i.e. the
# gateway initiated (StartupAction start; the sample file leaves start_action = none).
ok(re.search(r"aws-tun1: #\d+, ESTABLISHED, IKEv2, [0-9a-f]+_i [0-9a-f]+_r\*", log) is not None,
   "restricted: the gateway initiated IKE (StartupAction start)")
finish()
