#!/usr/bin/env bash
# The image (./build.sh image) in its three roles, with podman, against a
# smart-HTTP remote with basic auth on 127.0.0.1 (git http-backend under
# lighttpd): a tick container clones the repository, dials and pushes its
# commits; a webhook container serves Meta's handshake with the verify
# token from its environment and refuses a forged delivery; and the
# webhook Deployment of deploy/kubernetes/webhooks.yaml runs under
# `podman kube play` (the repository cloned once into the shared volume, lighttpd answers, the
# ingest container runs beside it), its Secrets from secrets.example.yaml.
# Needs root, podman and the Debian mirror (the image's base): part of
# ./build.sh test-deploy, not of ./build.sh test.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/e2e/lib-smarthttp.sh"
export CONTAINERS_CONF=$TOP/deploy/image/containers.conf
IMAGE=localhost/gitdial:latest
NAME=gitdial-t-image-$$
KUBE=
cleanup() {
	podman rm -f -t 0 "$NAME-hooks" >/dev/null 2>&1
	[ -n "$KUBE" ] && podman kube down "$KUBE" >/dev/null 2>&1
	podman secret rm gitdial-git gitdial-secrets >/dev/null 2>&1
	smarthttp_stop
	[ -n "${KEEP_TMP:-}" ] && echo "# kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT
free() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# poll URL: waits (bounded) until URL answers at all
poll() {
	local i
	for i in $(seq 600); do
		curl -s -o /dev/null "$1" && return 0
		sleep 0.05
	done
	return 1
}

(cd "$TOP" && tools/image.sh) >"$TMP/image.log" 2>&1
expect_eq "./build.sh image builds $IMAGE" 0 $?
podman run --rm "$IMAGE" gitdial -h >"$TMP/out" 2>&1
expect_grep "the image runs gitdial" '^usage: gitdial <command>' "$TMP/out"

# --- the remote -------------------------------------------------------------------
TOKEN=tok-$$-image
smarthttp_start x-access-token "$TOKEN"
git init -q --bare --initial-branch=main "$GITSRV_ROOT/calls.git"
git -C "$GITSRV_ROOT/calls.git" config http.receivepack true
# the credentials in the URL: what every gitdial build takes (a token in
# GITDIAL_GIT_TOKEN is the other way, docs/remotes.md)
U="http://x-access-token:$TOKEN@${GITSRV_URL#http://}/calls.git"
R=$TMP/src
new_repo "$R"
/usr/bin/python3 - "$R/campaigns/nov-reminders/campaign.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["status"] = "scheduled"
c["start_at"] = "2026-11-24T14:00:00Z"
json.dump(c, open(p, "w"), indent=2)
PY
git_commit_all "$R" "schedule nov-reminders"
git -C "$R" push -q "$U" main

# --- tick -------------------------------------------------------------------------
podman run --rm --network host -e GITDIAL_REMOTE_URL="$U" "$IMAGE" \
	tick --now 2026-11-24T15:00:00Z >"$TMP/tick.out" 2>&1
expect_eq "a tick container exits 0" 0 $?
expect_grep "... and dials nov-reminders" '^nov-reminders: Dialing, \+5 dialed' "$TMP/tick.out"
ok_if "... its commits are on the remote" \
	git --git-dir="$GITSRV_ROOT/calls.git" cat-file -e main:outcomes/nov-reminders

# --- webhooks (podman run) --------------------------------------------------------
P1=$(free)
podman run -d --name "$NAME-hooks" --network host -e GITDIAL_REMOTE_URL="$U" \
	-e GITDIAL_HTTP_PORT="$P1" -e GITDIAL_HTTP_BIND=127.0.0.1 \
	-e WHATSAPP_VERIFY_TOKEN=vt-image -e WHATSAPP_APP_SECRET=as-image \
	"$IMAGE" webhooks >/dev/null
ok_if "the webhook container answers" poll "http://127.0.0.1:$P1/gitdial/whatsapp"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' \
	"http://127.0.0.1:$P1/gitdial/whatsapp?hub.mode=subscribe&hub.verify_token=vt-image&hub.challenge=4242")
expect_eq "Meta's handshake: 200" 200 "$code"
expect_eq "... with the challenge" 4242 "$(cat "$TMP/body")"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	-H 'X-Hub-Signature-256: sha256=00' --data '{"object":"whatsapp_business_account","entry":[]}' \
	"http://127.0.0.1:$P1/gitdial/whatsapp")
expect_eq "a forged delivery: 403" 403 "$code"
podman rm -f -t 2 "$NAME-hooks" >/dev/null 2>&1

# --- the webhook Deployment (podman kube play) -------------------------------------
P2=$(free)
/usr/bin/python3 - "$TOP/deploy/kubernetes/webhooks.yaml" "$TMP/webhooks.yaml" "$U" "$P2" <<'PY'
import sys, yaml
src, dst, url, port = sys.argv[1:]
docs = list(yaml.safe_load_all(open(src)))
for d in docs:
    if d["kind"] != "Deployment":
        continue
    spec = d["spec"]["template"]["spec"]
    for c in spec.get("initContainers", []) + spec["containers"]:
        for e in c["env"]:
            if e["name"] == "GITDIAL_REMOTE_URL":
                e["value"] = url      # the test's remote instead of git.example.com
        if c["name"] == "webhooks":   # on the host's network: a free loopback port
            c.pop("ports", None)      # (podman maps no ports on the host's network)
            c["readinessProbe"]["tcpSocket"]["port"] = int(port)
            c["env"] += [{"name": "GITDIAL_HTTP_PORT", "value": port},
                         {"name": "GITDIAL_HTTP_BIND", "value": "127.0.0.1"},
                         {"name": "GITDIAL_ENV_ALLOW", "value": "WHATSAPP_"}]
yaml.safe_dump_all(docs, open(dst, "w"))
PY
# The Secrets of secrets.example.yaml as podman secrets. podman 4.3 reads
# a secret two ways: secretKeyRef (env) wants JSON with base64 values, a
# secret volume wants the Secret manifest that kube play stores. So the
# env one (gitdial-git) is converted to JSON and the volume one
# (gitdial-secrets) is kube-played, with its stringData as data.
/usr/bin/python3 - "$TOP/deploy/kubernetes/secrets.example.yaml" "$TMP" <<'PY' >"$TMP/secrets.out" 2>&1
import base64, json, subprocess, sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    data = dict(d.get("data") or {})
    data.update({k: base64.b64encode(v.encode()).decode()
                 for k, v in (d.get("stringData") or {}).items()})
    name = d["metadata"]["name"]
    if name == "gitdial-git":
        f = "%s/%s.json" % (sys.argv[2], name)
        open(f, "w").write(json.dumps(data))
        subprocess.run(["podman", "secret", "create", name, f], check=True)
    else:
        d.pop("stringData", None)
        d["data"] = data
        f = "%s/%s.yaml" % (sys.argv[2], name)
        yaml.safe_dump(d, open(f, "w"))
        subprocess.run(["podman", "kube", "play", f], check=True)
PY
expect_eq "the Secrets of secrets.example.yaml created" 0 $?
KUBE=$TMP/webhooks.yaml
podman kube play --network host "$KUBE" >"$TMP/kube.out" 2>&1
rc=$?
expect_eq "kube play webhooks.yaml (Deployment + Service)" 0 "$rc"
[ "$rc" = 0 ] || sed 's/^/#   /' "$TMP/kube.out" | tail
pod=gitdial-webhooks-pod-0   # kube play's name for the Deployment's pod
ok_if "the Deployment's lighttpd answers" poll "http://127.0.0.1:$P2/gitdial/whatsapp" ||
	{ podman ps -a --format "{{.Names}} {{.Status}}"; podman logs "$pod-webhooks"; podman logs "$pod-ingest"; } 2>&1 | sed 's/^/#   /' | tail -n 20
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data 'x=1' "http://127.0.0.1:$P2/gitdial/twilio")
expect_eq "an unsigned delivery: 401 from the function (FastCGI) in the pod" 401 "$code"
ok_if "the pod cloned the repository into its shared volume" \
	podman exec "$pod-webhooks" test -f /var/lib/gitdial/calls/gitdial.json
podman ps --format '{{.Names}}' >"$TMP/running"
expect_grep "the ingest container runs beside it" "^$pod-ingest\$" "$TMP/running"
ok_if "the Secret is mounted as files under GITDIAL_SECRETS_DIR" \
	podman exec "$pod-webhooks" sh -c 'ls -la /etc/gitdial/secrets/ /etc/gitdial/secrets/*; id; test -s /etc/gitdial/secrets/twilio-auth-token' 
finish
