#!/usr/bin/env python3
"""A fake of GitHub's REST API for issue comments, as documented at
docs.github.com/rest/issues/comments: list (GET
/repos/{owner}/{repo}/issues/{number}/comments, paginated with per_page
and page), create (POST, 201) and update (PATCH
/repos/{owner}/{repo}/issues/comments/{comment_id}). Requests need
"Authorization: Bearer TOKEN" (or "token TOKEN"); a wrong token gets 401,
a read-only one (--read-only-token) 403 on writes, like a fork's token.
Comments are made as the user github-actions[bot]. GET /_comments dumps
every comment as JSON for the test. Listens on 127.0.0.1 only."""
import argparse
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

ap = argparse.ArgumentParser()
ap.add_argument("--port-file", required=True)
ap.add_argument("--token", required=True)
ap.add_argument("--read-only-token", default="")
ap.add_argument("--preexisting", type=int, default=0,
                help="comments by other users already on each issue")
args = ap.parse_args()

lock = threading.Lock()
comments = []          # {"id", "issue", "repo", "body", "user": {"login", "type"}}
next_id = [1000]
writes = []            # ("POST"|"PATCH", id)


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def auth(self, write):
        a = self.headers.get("Authorization", "")
        tok = re.sub(r"^(Bearer|token) ", "", a)
        if tok == args.token:
            return True
        if args.read_only_token and tok == args.read_only_token:
            if write:
                self.reply(403, {"message": "Resource not accessible by integration"})
                return False
            return True
        self.reply(401, {"message": "Bad credentials"})
        return False

    def body(self):
        n = int(self.headers.get("Content-Length", "0"))
        return json.loads(self.rfile.read(n) or b"{}")

    def ensure(self, repo, issue):
        if any(c["repo"] == repo and c["issue"] == issue for c in comments):
            return
        for i in range(args.preexisting):
            next_id[0] += 1
            comments.append({"id": next_id[0], "repo": repo, "issue": issue,
                             "body": "<!-- gitdial-plan --> forged by a person %d" % i,
                             "user": {"login": "someone", "type": "User"}})

    def do_GET(self):
        u = urlparse(self.path)
        if u.path == "/_comments":
            with lock:
                return self.reply(200, {"comments": comments, "writes": writes})
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments", u.path)
        if not m:
            return self.reply(404, {"message": "Not Found"})
        if not self.auth(False):
            return
        q = parse_qs(u.query)
        per = min(int(q.get("per_page", ["30"])[0]), 100)
        page = int(q.get("page", ["1"])[0])
        with lock:
            self.ensure(m.group(1), int(m.group(2)))
            mine = [c for c in comments if c["repo"] == m.group(1) and c["issue"] == int(m.group(2))]
            self.reply(200, mine[(page - 1) * per: page * per])

    def do_POST(self):
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments", urlparse(self.path).path)
        if not m:
            return self.reply(404, {"message": "Not Found"})
        if not self.auth(True):
            return
        b = self.body()
        if not isinstance(b.get("body"), str):
            return self.reply(422, {"message": "Validation Failed"})
        with lock:
            next_id[0] += 1
            c = {"id": next_id[0], "repo": m.group(1), "issue": int(m.group(2)),
                 "body": b["body"], "user": {"login": "github-actions[bot]", "type": "Bot"}}
            comments.append(c)
            writes.append(["POST", c["id"]])
        self.reply(201, c)

    def do_PATCH(self):
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/comments/(\d+)", urlparse(self.path).path)
        if not m:
            return self.reply(404, {"message": "Not Found"})
        if not self.auth(True):
            return
        b = self.body()
        with lock:
            for c in comments:
                if c["id"] == int(m.group(2)) and c["repo"] == m.group(1):
                    if c["user"]["login"] != "github-actions[bot]":
                        return self.reply(403, {"message": "Forbidden"})
                    c["body"] = b.get("body", c["body"])
                    writes.append(["PATCH", c["id"]])
                    return self.reply(200, c)
        self.reply(404, {"message": "Not Found"})


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(args.port_file + ".tmp", args.port_file)
srv.serve_forever()
