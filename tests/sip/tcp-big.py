#!/usr/bin/env python3
"""A trunk over TCP whose answer is too large: listens on 127.0.0.1:PORT,
takes one INVITE, answers 100 Trying (unless TRYING is "none"), then a
200 OK of SIZE bytes (X-Pad header lines; sipp's scenario parser takes
no message this big). Writes
to OUTFILE what became of the connection: "closed" when the caller closed
it, "open" when it was still open after SECONDS."""
import socket, sys, time

port, size, outfile, secs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
trying = sys.argv[5] if len(sys.argv) > 5 else "trying"
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port))
ls.listen(1)
ls.settimeout(secs)
c, _ = ls.accept()
c.settimeout(secs)
buf = b""
while b"\r\n\r\n" not in buf:
    d = c.recv(65536)
    if not d:
        sys.exit(1)
    buf += d
head = buf.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
keep = [l for l in head[1:] if l.split(":", 1)[0].lower() in ("via", "from", "to", "call-id", "cseq")]

def reply(code, extra):
    lines = ["SIP/2.0 " + code]
    for l in keep:
        if extra and l.lower().startswith("to:"):
            l += ";tag=big1"
        lines.append(l)
    return ("\r\n".join(lines + extra + ["Content-Length: 0", "", ""])).encode()

if trying != "none":
    c.sendall(reply("100 Trying", []))
pad = ["X-Pad-%d: %s" % (i, "x" * 990) for i in range(size // 1000 + 1)]
try:
    c.sendall(reply("200 OK", ["Contact: <sip:recipient@127.0.0.1:%d;transport=tcp>" % port] + pad))
    end = time.time() + secs
    state = "open"
    while time.time() < end:
        if not c.recv(65536):
            state = "closed"
            break
except (ConnectionResetError, BrokenPipeError):
    state = "closed"
except socket.timeout:
    state = "open"
open(outfile, "w").write(state + "\n")
