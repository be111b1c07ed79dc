"""Sends a hostile flood at a CSM agent: COUNT datagrams as fast as one
process can, a mix of new names on every event (the series bound folds
them), datagrams that are not JSON, of the wrong types, and the largest a
UDP datagram can be. Prints what it sent.

usage: flood.py HOST PORT COUNT"""

import json
import socket
import sys


def datagrams():
    i = 0
    big = b'{"Type":"ApiCall","Pad":"' + b"x" * 65000 + b'"}'
    while True:
        k = i % 8
        if k < 5:
            objs = [{
                "Type": "ApiCallAttempt" if j % 2 else "ApiCall",
                "Service": "svc%d" % (i * 10 + j), "Api": "api%d" % (i * 10 + j),
                "Region": "r%d" % (i * 10 + j), "UserAgent": "sdk%d/1.0" % i,
                "HttpStatusCode": 100 + (i + j) % 500, "AwsException": "Exc%d" % (i * 10 + j),
                "Latency": j, "AttemptLatency": j, "AccessKey": "AKIDFLOOD%011d" % i, "SessionToken": "tok%d" % i,
            } for j in range(10)]
            yield json.dumps(objs).encode()
        elif k == 5:
            yield b"\x00\xff not json " + str(i).encode()
        elif k == 6:
            yield b'{"Type":"ApiCall","Latency":"slow"}'
        else:
            yield big
        i += 1


def main():
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    sent = nbytes = 0
    for d in datagrams():
        if sent == count:
            break
        try:
            s.sendto(d, (host, port))
        except OSError:
            pass  # the kernel's send buffer is full: that datagram is lost
        sent += 1
        nbytes += len(d)
    print("flood: %d datagrams, %.1f MB sent" % (sent, nbytes / 1e6))


if __name__ == "__main__":
    main()
