#!/usr/bin/env python3
"""A SIP trunk over TLS on 127.0.0.1, for what sipp cannot check: which
server name the client sent (SNI) and whether it went on after a
certificate it should have refused. Serves connections for SECONDS; on
each, after the handshake, answers one INVITE with 486 Busy Here and
reads the ACK. Logs one line per fact to LOG: "sni NAME",
"handshake_failed ...", "request INVITE", "request ACK"."""
import re, socket, ssl, sys, time

port, cert, key, log, secs = (int(sys.argv[1]), sys.argv[2], sys.argv[3],
                              sys.argv[4], float(sys.argv[5]))

def note(line):
    with open(log, "a") as f:
        f.write(line + "\n")

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.sni_callback = lambda sock, name, c: note("sni %s" % name)

def read_msg(conn, buf):
    """One SIP message (head and Content-Length body) from buf + conn."""
    while b"\r\n\r\n" not in buf:
        d = conn.recv(65536)
        if not d:
            return None, b""
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    m = re.search(rb"(?im)^(?:Content-Length|l)\s*:\s*(\d+)", head)
    n = int(m.group(1)) if m else 0
    while len(rest) < n:
        d = conn.recv(65536)
        if not d:
            break
        rest += d
    return head.decode("latin-1"), rest[n:]

def answer(conn):
    head, buf = read_msg(conn, b"")
    if head is None:
        return
    note("request %s" % head.split(" ", 1)[0])
    hdrs = [l for l in head.split("\r\n")[1:]
            if re.match(r"(?i)(via|from|to|call-id|cseq)\s*:", l)]
    hdrs = [l + ";tag=tls1" if re.match(r"(?i)to\s*:", l) else l for l in hdrs]
    conn.sendall(("SIP/2.0 486 Busy Here\r\n" + "\r\n".join(hdrs) +
                  "\r\nContent-Length: 0\r\n\r\n").encode("latin-1"))
    head, buf = read_msg(conn, buf)
    if head:
        note("request %s" % head.split(" ", 1)[0])

srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(4)
srv.settimeout(0.5)
end = time.time() + secs
while time.time() < end:
    try:
        raw, _ = srv.accept()
    except socket.timeout:
        continue
    raw.settimeout(5)
    try:
        conn = ctx.wrap_socket(raw, server_side=True)
    except (ssl.SSLError, OSError) as e:
        note("handshake_failed %s" % type(e).__name__)
        raw.close()
        continue
    try:
        answer(conn)
    except (ssl.SSLError, OSError) as e:
        note("error %s" % type(e).__name__)
    conn.close()
