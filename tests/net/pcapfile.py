"""Reading the pcap files tcpdump writes in the scenario tests (not a test itself)."""
import struct


def ipv4_frames(path):
    """Yield (ts, ip_packet) for every IPv4 frame of an Ethernet or Linux-cooked pcap."""
    data = open(path, "rb").read()
    if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif data[:4] in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise SystemExit("not a pcap file: %s" % path)
    linktype = struct.unpack(end + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        sec, usec, caplen, _ = struct.unpack(end + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        if linktype == 1 and frame[12:14] == b"\x08\x00":
            yield sec + usec / 1e6, frame[14:]
        elif linktype == 113 and frame[14:16] == b"\x08\x00":  # Linux cooked (-i any)
            yield sec + usec / 1e6, frame[16:]
