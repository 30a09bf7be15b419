#!/usr/bin/env bash
# deploy/: the systemd units pass `systemd-analyze verify` with no warning
# (the binaries' paths pointed at this build), and the webhook server's
# lighttpd configuration, run as written apart from its paths and port,
# starts the functions as FastCGI processes that read the operator's
# environment file: Meta's subscription handshake answers with the verify
# token from /etc/gitdial/gitdial.env, an unsigned or forged delivery is
# refused and nothing is spooled.
. "$(dirname "$0")/../lib.sh"
D=$TOP/deploy
LPID=
cleanup() {
	[ -n "$LPID" ] && kill "$LPID" 2>/dev/null && wait "$LPID" 2>/dev/null
	[ -n "${KEEP_TMP:-}" ] && echo "# kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT

# --- systemd ---------------------------------------------------------------------
mkdir -p "$TMP/units" "$TMP/etc"
cp "$D/gitdial.env" "$TMP/etc/gitdial.env"
for u in "$D"/systemd/*.service "$D"/systemd/*.timer; do
	sed -e "s|/usr/bin/gitdial|$BIN/gitdial|g" -e "s|/etc/gitdial/|$TMP/etc/|g" \
		"$u" >"$TMP/units/$(basename "$u")"
done
(cd "$TMP/units" && systemd-analyze verify ./*.service ./*.timer) >"$TMP/verify" 2>&1
rc=$?
expect_eq "systemd-analyze verify deploy/systemd/*: exit 0" 0 "$rc"
ok_if "... and not one warning" test ! -s "$TMP/verify"
[ -s "$TMP/verify" ] && sed 's/^/#   /' "$TMP/verify" | head
for u in gitdial-tick gitdial-ingest; do
	expect_grep "$u.timer has a schedule" "^(OnCalendar|OnUnitInactiveSec)=" "$TMP/units/$u.timer"
	expect_grep "$u.service is a oneshot" '^Type=oneshot$' "$TMP/units/$u.service"
done
expect_grep "the tick runs on a bare clone with --remote origin" \
	'^ExecStart=.*gitdial tick --repo /var/lib/gitdial/runner.git --remote origin' \
	"$D/systemd/gitdial-tick.service"
expect_grep "ingest runs with --remote origin and the webhook spool" \
	'^ExecStart=.*gitdial ingest .*--remote origin --spool /var/lib/gitdial/spool' \
	"$D/systemd/gitdial-ingest.service"
# the check can fail: a misspelt key and a missing binary
sed -e 's/^Type=oneshot/Type=oneshoot/' "$TMP/units/gitdial-ingest.service" \
	>"$TMP/units-bad.service"
(cd "$TMP" && systemd-analyze verify ./units-bad.service) >"$TMP/verify-bad" 2>&1
ok_if "systemd-analyze verify reports a broken unit" test -s "$TMP/verify-bad"
ok_if "systemd-sysusers reads gitdial.sysusers" \
	systemd-sysusers --dry-run "$D/systemd/gitdial.sysusers"

# --- lighttpd ----------------------------------------------------------------------
R=$TMP/calls
new_repo "$R"
mkdir -p "$TMP/spool" "$TMP/www" "$TMP/run" "$TMP/secrets"
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -e "s|/usr/bin/gitdial-|$BIN/gitdial-|g" -e "s|/var/lib/gitdial/calls|$R|g" \
	-e "s|/var/lib/gitdial/spool|$TMP/spool|g" -e "s|/var/lib/gitdial/www|$TMP/www|g" \
	-e "s|/run/gitdial/|$TMP/run/|g" -e "s|^server.port = 8080|server.port = $PORT|" \
	"$D/lighttpd/gitdial.conf" >"$TMP/lighttpd.conf"
ok_if "lighttpd -tt accepts deploy/lighttpd/gitdial.conf" lighttpd -tt -f "$TMP/lighttpd.conf"
# the environment file as systemd's EnvironmentFile= gives it (plus the test's secrets)
{
	grep -v '^#' "$D/gitdial.env" | sed "s|^GITDIAL_SECRETS_DIR=.*|GITDIAL_SECRETS_DIR=$TMP/secrets|"
	echo "WHATSAPP_VERIFY_TOKEN=vt-from-the-env-file"
	echo "WHATSAPP_APP_SECRET=app-secret"
	echo "TWILIO_AUTH_TOKEN=tw-token"
} | grep . >"$TMP/env"
(set -a; . "$TMP/env"; set +a
 export ASAN_OPTIONS UBSAN_OPTIONS
 exec lighttpd -D -f "$TMP/lighttpd.conf") >"$TMP/lighttpd.log" 2>&1 &
LPID=$!
URL=http://127.0.0.1:$PORT/gitdial
up=1
for i in $(seq 400); do
	curl -s -o /dev/null "$URL/whatsapp" && { up=0; break; }
	sleep 0.025
done
expect_eq "the webhook server starts" 0 "$up"
code=$(curl -s -o "$TMP/body" -w '%{http_code}' \
	"$URL/whatsapp?hub.mode=subscribe&hub.verify_token=vt-from-the-env-file&hub.challenge=8675309")
expect_eq "Meta's handshake with the env file's verify token: 200" 200 "$code"
expect_eq "... answering the challenge" 8675309 "$(cat "$TMP/body")"
code=$(curl -s -o /dev/null -w '%{http_code}' \
	"$URL/whatsapp?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1")
expect_eq "a wrong verify token: 403" 403 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data 'CallSid=CA1&CallStatus=completed' \
	"$URL/twilio")
expect_eq "an unsigned Twilio delivery: 401" 401 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	-H 'X-Hub-Signature-256: sha256=0000000000000000000000000000000000000000000000000000000000000000' \
	--data '{"object":"whatsapp_business_account","entry":[]}' "$URL/whatsapp")
expect_eq "a forged WhatsApp delivery (app secret from the env file): 403" 403 "$code"
expect_eq "nothing was spooled" 0 "$(find "$TMP/spool" -type f | wc -l)"
ok_if "the functions run as FastCGI processes (sockets made)" \
	bash -c "ls '$TMP/run'/whatsapp.sock-* >/dev/null"
finish
