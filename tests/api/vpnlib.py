"""tests/api/vpnlib.py - shared helpers of the VPN connection tests (tests/api/test_vpn_*.py).

Starts a private gatehoused (ghapi.Server: loopback, temporary data directory), and talks to it
with the real clients: boto3, the aws CLI v1 (`aws` on PATH) and v2 (/usr/bin/aws), and raw
SigV4-signed HTTP for what the clients refuse to send. Everything is torn down on exit.

Not a test itself (the runner only runs test_*.py).
"""
import atexit
import os
import re
import shutil
import sys
import time

import ghapi

ROOT = ghapi.ROOT
CLI_V1 = shutil.which("aws")
CLI_V2 = ghapi.CLI_V2

_failures = []
_passes = 0


def ok(cond, what):
    global _passes
    if cond:
        _passes += 1
        print("PASS:", what)
    else:
        _failures.append(what)
        print("FAIL:", what)
    return cond


def eq(got, want, what):
    return ok(got == want, f"{what}: got {got!r}, want {want!r}" if got != want else what)


def finish():
    print(f"{_passes} passed, {len(_failures)} failed")
    sys.exit(1 if _failures else 0)


class Daemon:
    """One gatehoused on 127.0.0.1 with its own data directory (ghapi.Server underneath).

    pool: the tunnel outside address pool (GH_OUTSIDE_POOL, docs/decisions.md D12)."""

    def __init__(self, state_delay_ms=300, retention_s=30, pool=None):
        if "GATEHOUSED" not in os.environ and os.environ.get("GH_GATEHOUSED"):
            ghapi.GATEHOUSED = os.environ["GH_GATEHOUSED"]
        if pool:
            os.environ["GH_OUTSIDE_POOL"] = pool
        else:
            os.environ.pop("GH_OUTSIDE_POOL", None)
        self.srv = ghapi.Server(state_delay_ms=state_delay_ms, retention_s=retention_s)
        atexit.register(self.stop)
        self.srv.start()
        self.url = self.srv.url

    def stop(self):
        if self.srv is None:
            return
        if _failures or os.environ.get("GH_KEEP_LOGS"):
            print("gatehoused log (tail):")
            sys.stdout.write(self.srv.logtext())
        self.srv.cleanup()
        self.srv = None

    def ec2(self):
        return self.srv.boto3()

    def cli(self, version, *args, check=True):
        """Run the aws CLI (1 or 2) on `ec2 <args>`; returns (rc, parsed JSON or None, stderr)."""
        return self.srv.cli(["ec2", *args], v2=(version == 2), check=check)

    def raw(self, params):
        """A SigV4-signed POST of form params; returns (status, body text)."""
        status, _, data = self.srv.raw(params)
        return status, data.decode()


def error_code(body):
    m = re.search(r"<Code>([^<]*)</Code>", body)
    return m.group(1) if m else None


def make_cgw(ec2, ip, asn=65000):
    return ec2.create_customer_gateway(Type="ipsec.1", PublicIp=ip,
                                       BgpAsn=asn)["CustomerGateway"]["CustomerGatewayId"]


def make_vgw(ec2):
    return ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]


def wait_state(ec2, vpn_id, state, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = ec2.describe_vpn_connections(VpnConnectionIds=[vpn_id])["VpnConnections"]
        if v and v[0]["State"] == state:
            return v[0]
        time.sleep(0.1)
    return None
