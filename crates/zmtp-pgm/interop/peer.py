"""A libzmq PUB or SUB over epgm:// or pgm://, the other end of examples/epgm_live.rs.

    peer.py pub IFACE GROUP PORT COUNT [epgm|pgm]   # sends COUNT messages, lingers 5 s
    peer.py sub IFACE GROUP PORT COUNT [epgm|pgm]   # exits 0 once COUNT arrived in order
"""
import sys
import time

import zmq


def message(i):
    if i % 10 == 9:
        return [b"multi %d" % i, b"part"]
    return [b"msg %d" % i]


role, iface, group, port, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
scheme = sys.argv[6] if len(sys.argv) > 6 else "epgm"
endpoint = "%s://%s;%s:%s" % (scheme, iface, group, port)
ctx = zmq.Context()
if role == "pub":
    s = ctx.socket(zmq.PUB)
    s.setsockopt(zmq.RATE, 10000)
    # A PUB drops what does not fit under its SNDHWM: no limit, and a pause now and then so
    # the burst does not overrun the receiving socket's buffer either.
    s.setsockopt(zmq.SNDHWM, 0)
    s.connect(endpoint)
    time.sleep(1)
    for i in range(count):
        s.send_multipart(message(i))
        if i % 50 == 49:
            time.sleep(0.002)
    time.sleep(5)
    print("libzmq PUB sent", count)
else:
    s = ctx.socket(zmq.SUB)
    s.setsockopt(zmq.SUBSCRIBE, b"")
    s.setsockopt(zmq.RCVTIMEO, 20000)
    s.connect(endpoint)
    for i in range(count):
        try:
            m = s.recv_multipart()
        except zmq.Again:
            print("libzmq SUB got %d of %d" % (i, count))
            sys.exit(1)
        if m != message(i):
            print("libzmq SUB: message %d is %r" % (i, m))
            sys.exit(1)
    print("libzmq SUB received all %d in order" % count)
s.close(linger=0)
ctx.term()
