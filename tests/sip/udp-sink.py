#!/usr/bin/env python3
"""A trunk that swallows everything: binds UDP 127.0.0.1:PORT, reads and
never answers (a filtering firewall or a wrong allow-list as seen from
the caller). Writes the number of INVITEs it got into COUNTFILE; stops
after SECONDS."""
import socket, sys, time

port, countfile, secs = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
s.settimeout(0.5)
n, end = 0, time.time() + secs
while time.time() < end:
    try:
        d, _ = s.recvfrom(65535)
    except socket.timeout:
        continue
    if d.startswith(b"INVITE "):
        n += 1
        with open(countfile, "w") as f:
            f.write("%d\n" % n)
