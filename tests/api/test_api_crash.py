#!/usr/bin/env python3
"""Durability: concurrent writers, kill -9 mid-stream, restart; every acknowledged change is there.

Four boto3 writers create customer gateways and tag them as fast as they can. Once enough
writes are acknowledged the daemon gets SIGKILL while the writers are still sending. After a
restart on the same data directory (three rounds), every resource and tag whose request got a 200 must exist,
and timed transitions (pending -> available) resume. Exit status 0 = pass.
"""
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import botocore.exceptions  # noqa: E402
import urllib3.exceptions  # noqa: E402
from ghapi import Server, run_tests, wait_for  # noqa: E402

WRITERS = 4
KILL_AFTER = 60  # acknowledged writes before each kill
ROUNDS = 3


class TestCrash(unittest.TestCase):
    def writers_until_kill(self, srv, acked_cgw, acked_tag):
        """Run WRITERS threads until KILL_AFTER more writes are acknowledged, then SIGKILL."""
        lock = threading.Lock()
        enough = threading.Event()
        stop = threading.Event()
        base = len(acked_cgw) + len(acked_tag)
        errors = []

        def writer(w):
            ec2 = srv.boto3()
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    with lock:
                        full = len(acked_cgw) >= 50
                    if (n % 2 or not acked_cgw) and not full:
                        r = ec2.create_customer_gateway(
                            Type="ipsec.1", IpAddress="192.0.2.%d" % (w * 60 + n % 60 + 1),
                            BgpAsn=64600 + w * 1000 + n)
                        with lock:
                            acked_cgw.add(r["CustomerGateway"]["CustomerGatewayId"])
                    else:
                        with lock:
                            target = sorted(acked_cgw)[n % len(acked_cgw)]
                        key = "w%d-%d-%d" % (w, n, base)
                        ec2.create_tags(Resources=[target], Tags=[{"Key": key, "Value": "v"}])
                        with lock:
                            acked_tag.add((target, key))
                except botocore.exceptions.ClientError as e:
                    if e.response["Error"]["Code"] not in ("CustomerGatewayLimitExceeded",
                                                           "TagLimitExceeded"):
                        errors.append(e)
                        return
                except (botocore.exceptions.EndpointConnectionError,
                        botocore.exceptions.ConnectionClosedError,
                        urllib3.exceptions.HTTPError, ConnectionError):
                    return  # the daemon is gone: this write was never acknowledged
                with lock:
                    if len(acked_cgw) + len(acked_tag) >= base + KILL_AFTER:
                        enough.set()

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
        for t in threads:
            t.start()
        ok = enough.wait(120)
        srv.kill9()  # writers are still mid-stream
        stop.set()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        self.assertTrue(ok, "writers made no progress: " + srv.logtext())

    def check_all_there(self, srv, acked_cgw, acked_tag):
        ec2 = srv.boto3()
        have = {g["CustomerGatewayId"]: g
                for g in ec2.describe_customer_gateways()["CustomerGateways"]}
        self.assertEqual(set(acked_cgw) - set(have), set(), "acknowledged CGWs lost")
        for cgw, key in acked_tag:
            keys = {t["Key"] for t in have[cgw].get("Tags", [])}
            self.assertIn(key, keys, "acknowledged tag %s on %s lost" % (key, cgw))
        return ec2

    def test_kill9_mid_stream(self):
        srv = Server(state_delay_ms=1000)
        acked_cgw, acked_tag = set(), set()
        try:
            srv.start()
            for _ in range(ROUNDS):
                self.writers_until_kill(srv, acked_cgw, acked_tag)
                srv.start()
                ec2 = self.check_all_there(srv, acked_cgw, acked_tag)
            self.assertGreaterEqual(len(acked_cgw) + len(acked_tag), ROUNDS * KILL_AFTER)
            # Timed transitions were persisted and resume after the restart.
            wait_for(lambda: all(g["State"] == "available" for g in
                                 ec2.describe_customer_gateways()["CustomerGateways"]),
                     "pending -> available after restart")
            self.assertEqual(srv.stop(), 0)
        finally:
            srv.cleanup()

if __name__ == "__main__":
    run_tests([TestCrash])
