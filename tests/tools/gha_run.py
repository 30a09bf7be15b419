#!/usr/bin/env python3
"""Runs one job of a GitHub Actions workflow the way a hosted runner does,
for the tests: a fresh workspace per run, actions/checkout done as the
action does it (git init, the job token as an http extraheader on the
server URL, fetch, the pull request's merge ref or the branch checked
out), each `run:` step as `bash --noprofile --norc -eo pipefail` with the
runner's GITHUB_* variables, GITHUB_OUTPUT/GITHUB_ENV read back, `${{ }}`
expressions and `if:` conditions evaluated (contexts github, env, vars,
secrets, matrix, steps, runner; functions always, success, failure,
cancelled). actions/cache steps restore nothing (a cache miss); steps
named with --skip are not run, and say so. Prints one line per step and
exits 0 when the job succeeded, 1 when a step failed.

  gha_run.py WORKFLOW JOB --workspace DIR --server URL --repository O/R
             --token T [--event pull_request --pr N --base-ref B]
             [--event schedule --ref B] [--matrix K=V]... [--var K=V]...
             [--secret K=V]... [--set-env K=V]... [--skip STEP_ID]...
--set-env overrides a job-level env value (e.g. a shorter duration)."""
import argparse
import base64
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

ap = argparse.ArgumentParser()
ap.add_argument("workflow")
ap.add_argument("job")
ap.add_argument("--workspace", required=True)
ap.add_argument("--server", required=True, help="git server URL, e.g. http://127.0.0.1:P/git")
ap.add_argument("--repository", required=True)
ap.add_argument("--token", required=True)
ap.add_argument("--api-url", default="")
ap.add_argument("--event", default="schedule")
ap.add_argument("--pr", type=int, default=0)
ap.add_argument("--base-ref", default="main")
ap.add_argument("--ref", default="main")
ap.add_argument("--matrix", action="append", default=[])
ap.add_argument("--var", action="append", default=[])
ap.add_argument("--secret", action="append", default=[])
ap.add_argument("--set-env", action="append", default=[])
ap.add_argument("--skip", action="append", default=[])
a = ap.parse_args()
sys.stdout.reconfigure(line_buffering=True)


def kv(items):
    return dict(i.split("=", 1) for i in items)


wf = yaml.safe_load(open(a.workflow))
job = wf["jobs"][a.job]
ws = os.path.abspath(a.workspace)
os.makedirs(ws)
temp = tempfile.mkdtemp(prefix="runner-temp.", dir=os.path.dirname(ws))
matrix = {k: (int(v) if v.isdigit() else v) for k, v in kv(a.matrix).items()}
ctx = {
    "github": {"base_ref": a.base_ref if a.event == "pull_request" else "",
               "event_name": a.event, "repository": a.repository, "token": a.token,
               "api_url": a.api_url, "run_id": "4242", "workspace": ws,
               "event": {"pull_request": {"number": a.pr}} if a.event == "pull_request" else {}},
    "vars": kv(a.var), "secrets": kv(a.secret), "matrix": matrix,
    "runner": {"os": "Linux", "temp": temp}, "steps": {}, "env": {},
}
state = {"failed": False}


def lookup(path):
    v = ctx
    for p in path.split("."):
        if isinstance(v, dict):
            v = v.get(p, "")
        else:
            return ""
    return v


TOK = re.compile(r"\s+|'(?:[^']|'')*'|==|!=|&&|\|\||!|\(|\)|\d+|"
                 r"[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_*-]+)*")


def evaluate(expr):
    out, pos = [], 0
    expr = expr.strip()
    while pos < len(expr):
        m = TOK.match(expr, pos)
        if not m:
            raise SystemExit("gha_run: cannot read expression %r" % expr)
        t = m.group(0)
        pos = m.end()
        if t.isspace():
            continue
        if t.startswith("'"):
            out.append(repr(t[1:-1].replace("''", "'")))
        elif t == "&&":
            out.append(" and ")
        elif t == "||":
            out.append(" or ")
        elif t == "!":
            out.append(" not ")
        elif t in ("==", "!=", "(", ")") or t.isdigit():
            out.append(t)
        elif t in ("true", "false"):
            out.append("True" if t == "true" else "False")
        elif t in ("always", "success", "failure", "cancelled"):
            out.append({"always": "(lambda: True)", "cancelled": "(lambda: False)",
                        "success": "(lambda: not F)", "failure": "(lambda: F)"}[t])
        else:
            out.append("L(%r)" % t)
    return eval("".join(out), {"L": lookup, "F": state["failed"]})


def subst(s):
    if not isinstance(s, str):
        return s
    def one(m):
        v = evaluate(m.group(1))
        if v is True or v is False:
            return "true" if v else "false"
        return str(v)
    return re.sub(r"\$\{\{(.*?)\}\}", one, s)


def env_of(d):
    return {k: subst(str(v)) for k, v in (d or {}).items()}


def git(*args, **kw):
    subprocess.run(["git", *args], check=True, cwd=ws, **kw)


def checkout(w):
    depth = int(w.get("fetch-depth", 1))
    server = re.match(r"^(https?://[^/]+)", a.server).group(1) + "/"
    url = "%s/%s" % (a.server, a.repository.split("/", 1)[1] + ".git")
    basic = base64.b64encode(("x-access-token:%s" % a.token).encode()).decode()
    git("init", "-q")
    git("remote", "add", "origin", url)
    # what actions/checkout leaves: the token as a header for the server
    git("config", "--local", "http.%s.extraheader" % server, "AUTHORIZATION: basic " + basic)
    d = [] if depth == 0 else ["--depth=%d" % depth]
    if a.event == "pull_request":
        ref = "refs/remotes/pull/%d/merge" % a.pr
        if depth == 0:
            git("fetch", "-q", "--prune", "--no-recurse-submodules", "origin",
                "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*")
        git("fetch", "-q", "--no-tags", *d, "origin", "+refs/pull/%d/merge:%s" % (a.pr, ref))
        git("checkout", "-q", "--detach", ref)
    else:
        if depth == 0:
            git("fetch", "-q", "--prune", "--no-recurse-submodules", "origin",
                "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*")
        else:
            git("fetch", "-q", "--no-tags", *d, "origin",
                "+refs/heads/%s:refs/remotes/origin/%s" % (a.ref, a.ref))
        git("checkout", "-q", "-B", a.ref, "refs/remotes/origin/" + a.ref)


ctx["env"].update(env_of(wf.get("env")))
ctx["env"].update(env_of(job.get("env")))
ctx["env"].update(kv(a.set_env))
base = dict(os.environ)
base.update({"CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": ws,
             "GITHUB_REPOSITORY": a.repository, "GITHUB_EVENT_NAME": a.event,
             "GITHUB_API_URL": a.api_url, "GITHUB_SERVER_URL": a.server,
             "GITHUB_RUN_ID": "4242", "RUNNER_TEMP": temp, "RUNNER_OS": "Linux",
             "GITHUB_STEP_SUMMARY": os.path.join(temp, "summary.md")})
if a.event == "pull_request":
    base.update({"GITHUB_BASE_REF": a.base_ref, "GITHUB_REF": "refs/pull/%d/merge" % a.pr})
else:
    base.update({"GITHUB_REF": "refs/heads/" + a.ref})

for n, step in enumerate(job["steps"], 1):
    sid = step.get("id", "step%d" % n)
    name = step.get("name") or step.get("uses") or sid
    cond = step.get("if")
    if cond is not None:
        c = str(cond)
        c = re.sub(r"^\s*\$\{\{(.*)\}\}\s*$", r"\1", c)
        if not re.search(r"\b(always|success|failure|cancelled)\(", c):
            c = "success() && (%s)" % c
        run_it = bool(evaluate(c))
    else:
        run_it = not state["failed"]
    ctx["steps"][sid] = {"outputs": {}, "outcome": "skipped"}
    if not run_it:
        print("step %s: not run (condition)" % name)
        continue
    if sid in a.skip:
        print("step %s: skipped by the test" % name)
        continue
    uses = step.get("uses", "")
    if uses.startswith("actions/checkout@"):
        checkout(step.get("with") or {})
        ctx["steps"][sid]["outcome"] = "success"
        print("step %s: ok" % name)
        continue
    if uses.startswith("actions/cache"):
        ctx["steps"][sid]["outputs"]["cache-hit"] = ""
        ctx["steps"][sid]["outcome"] = "success"
        print("step %s: ok (cache miss)" % name)
        continue
    if uses:
        raise SystemExit("gha_run: no emulation of %s" % uses)
    senv = dict(ctx["env"])
    senv.update(env_of(step.get("env")))
    script = subst(step["run"])
    out_f = os.path.join(temp, "output.%d" % n)
    env_f = os.path.join(temp, "env.%d" % n)
    open(out_f, "w").close()
    open(env_f, "w").close()
    path = os.path.join(temp, "step%d.sh" % n)
    open(path, "w").write(script)
    env = dict(base)
    env.update(senv)
    env.update({"GITHUB_OUTPUT": out_f, "GITHUB_ENV": env_f})
    rc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", path],
                        cwd=os.path.join(ws, step.get("working-directory", ".")),
                        env=env).returncode
    for line in open(out_f):
        if "=" in line:
            k, v = line.rstrip("\n").split("=", 1)
            ctx["steps"][sid]["outputs"][k] = v
    for line in open(env_f):
        if "=" in line:
            k, v = line.rstrip("\n").split("=", 1)
            ctx["env"][k] = v
    ctx["steps"][sid]["outcome"] = "success" if rc == 0 else "failure"
    print("step %s: %s" % (name, "ok" if rc == 0 else "failed, exit %d" % rc), flush=True)
    if rc:
        state["failed"] = True
sys.exit(1 if state["failed"] else 0)
