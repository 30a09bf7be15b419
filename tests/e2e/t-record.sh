#!/usr/bin/env bash
# Recording end to end (docs/recording.md): a campaign with "record": true
# on a Telnyx account (then on a Twilio one). `gitdial tick` -> gitdial-telnyx dials the fake
# Telnyx (record=record-from-answer only for the recipient with a
# disclosure to play first) -> Ed25519-signed webhooks through lighttpd ->
# spool; call.recording.saved comes after call.hangup, whose outcome is
# already committed: the "recording" event reaches the log once (twice
# delivered), and `show --calls` and `report` show its URL beside the
# outcome. On Twilio, Record=true on create for the same recipients, the
# URL in the completed callback's outcome. validate refuses record where
# it cannot be honoured.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

KEY=KEY0123-telnyx-rec
SEED=9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60
CONN=1494404757140276705
PUB=https://hooks.example.com/gd
R=$TMP/repo
SPOOL=$R/.git/gitdial/spool
PUBKEY=$("$PY" "$TOP/tests/fake/sign.py" pubkey "$SEED")
SID=AC0123456789abcdef0123456789abcdef
TOKEN=tw-secret-token-rec
export TX_KEY=$KEY TX_PUB=$PUBKEY TW_SID=$SID TW_TOKEN=$TOKEN
fake_start TX telnyx --api-key "$KEY" --connection-id "$CONN" \
	--private-key-hex "$SEED" || exit 1
fake_start TW twilio --account-sid "$SID" --auth-token "$TOKEN" || exit 1
drafts_repo "$R" || exit 1
mkdir -p "$SPOOL"
T0=2026-11-24T18:00:00Z   # 10:00 in California, 13:00 in New York
[ -x "$TOP/build/bin/gitdial-telnyx" ] && BIN=$TOP/build/bin
web_start GITDIAL_REPO="$R" GITDIAL_SPOOL="$SPOOL" TX_KEY="$KEY" TX_PUB="$PUBKEY" \
	TW_SID="$SID" TW_TOKEN="$TOKEN" GITDIAL_NOW="$T0" || exit 1
"$PY" - "$R" "$TX_URL" "$PUB" "$CONN" "$TW_URL" <<'EOF'
import json, os, sys
r, api, pub, conn, tw = sys.argv[1:6]
g = json.load(open(r + "/gitdial.json"))
g["accounts"]["tx-main"] = {
    "provider": "telnyx", "caller_ids": ["+14155550100"], "max_concurrency": 4,
    "cps": 5, "api_base": api,
    "credentials": {"api_key": "env:TX_KEY", "public_key": "env:TX_PUB",
                    "connection_id": conn}}
g["accounts"]["tw-main"] = {
    "provider": "twilio", "caller_ids": ["+14155550100"], "max_concurrency": 4,
    "cps": 5, "api_base": tw,
    "credentials": {"account_sid": "env:TW_SID", "auth_token": "env:TW_TOKEN"}}
g["webhook_base_url"] = pub
# a disclosure in Spanish only: an English speaker has none to hear first
g["disclosure"] = {"es": "Esta llamada puede ser grabada."}
json.dump(g, open(r + "/gitdial.json", "w"), ensure_ascii=False, indent=2)
os.makedirs(r + "/campaigns/tx-rec")
# the fake's fate is the number's last digit: 0 and 1 pick up (45 s)
with open(r + "/campaigns/tx-rec/audience.csv", "w") as f:
    f.write("phone,name,language\n+14155550110,Ana,es\n+12125550111,Bob,en\n")
json.dump({"name": "Recorded on Telnyx", "status": "draft", "account": "tx-main",
           "caller_id": "+14155550100", "record": True,
           "script": {"mode": "agent"}, "audience": {"csv": "audience.csv"},
           "pacing": {"concurrency": 2}},
          open(r + "/campaigns/tx-rec/campaign.json", "w"), indent=2)
os.makedirs(r + "/campaigns/tw-rec")
with open(r + "/campaigns/tw-rec/audience.csv", "w") as f:
    f.write("phone,name,language\n+14155550120,Eva,es\n+12125550121,Tom,en\n")
json.dump({"name": "Recorded on Twilio", "status": "draft", "account": "tw-main",
           "caller_id": "+14155550100", "record": True,
           "script": {"mode": "agent"}, "audience": {"csv": "audience.csv"},
           "pacing": {"concurrency": 2}},
          open(r + "/campaigns/tw-rec/campaign.json", "w"), indent=2)
EOF
git_commit_all "$R" "a recorded Telnyx campaign"
"$GITDIAL" validate --repo "$R" >"$TMP/validate.out" 2>&1
ok_if "the repository validates (record with a disclosure in gitdial.json)" test $? -eq 0
expect_grep "... warning that the recipients without a disclosure in their language are not recorded" \
	'^campaigns/tx-rec/campaign.json: warning: record: 1 of 2 recipients \(language en\) have no disclosure text in gitdial.json, nor "en": they are called without recording$' \
	"$TMP/validate.out"
schedule "$R" tx-rec $T0
fake_ctl "$TX_URL" /_control/config '{"clock":'"$(date -u -d "$T0" +%s)"',
	"public_recordings":true,"deliver":{"'"$PUB"'":"'"$WEB_URL"'"}}' >/dev/null

tick() { # MINUTES after T0
	"$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 "$1")" --format json \
		>>"$TMP/ticks.json" 2>>"$TMP/tick.err"
}
log() { git -C "$R" grep -h "$1" HEAD -- outcomes/tx-rec; }
tick 0
ok_if "tick 1 placed both calls" test "$(log '"placed"' | wc -l)" -eq 2
dial_of() { # PHONE: the dial request's recording fields and the disclosure spoken
	fake_ctl "$TX_URL" /_control/calls | "$PY" -c '
import base64, json, sys
c = [c for c in json.load(sys.stdin) if c["to"] == sys.argv[1]][0]
d = c["json"]
st = json.loads(base64.b64decode(d["client_state"]))
print(d.get("record", "-"), d.get("record_format", "-"), st.get("d", "-"))' "$1"
}
expect_eq "the Spanish speaker (disclosure in her language): record-from-answer, mp3, the disclosure planned" \
	"record-from-answer mp3 Esta llamada puede ser grabada." "$(dial_of +14155550110)"
expect_eq "the English speaker (no disclosure to play): not recorded, nothing spoken" \
	"- - -" "$(dial_of +12125550111)"
# everything up to the hang-ups, the recordings held back
fake_ctl "$TX_URL" /_control/flush '{"hold":["call.recording.saved"]}' >"$TMP/f1.json"
fake_ctl "$TX_URL" /_control/flush '{"hold":["call.recording.saved"]}' >"$TMP/f2.json"
ok_if "every delivery so far was accepted (200)" "$PY" -c '
import json, sys
for f in sys.argv[1:]:
    for d in json.load(open(f)):
        assert d["status"] == 200, d' "$TMP/f1.json" "$TMP/f2.json"
expect_eq "the disclosure was spoken, in Spanish, before anything else" \
	"speak es-ES Esta llamada puede ser grabada." "$(fake_ctl "$TX_URL" /_control/calls | "$PY" -c '
import json, sys
c = [c for c in json.load(sys.stdin) if c["to"] == "+14155550110"][0]
u = [u for u in c["updates"] if u["action"] != "client_state_update"][0]
print(u["action"], u["body"]["language"], u["body"]["payload"])')"
tick 3
expect_eq "tick 2 committed both outcomes, connected" "2" "$(log '"outcome"' | grep -c '"connected"')"
expect_eq "... with no recording URL yet" "0" "$(log '"outcome"' | grep -c recording_url)"
# now Telnyx saves the recording: delivered twice
fake_ctl "$TX_URL" /_control/flush '{"duplicate":true}' >"$TMP/f3.json"
expect_eq "call.recording.saved: one per recorded call, each twice, all accepted" "2 200" \
	"$("$PY" -c '
import json, sys
d = [x for x in json.load(open(sys.argv[1])) if x["event"] == "call.recording.saved"]
print(len(d), " ".join(sorted(set(str(x["status"]) for x in d))))' "$TMP/f3.json")"
ok_if "the spooled recording events match spool-event.schema.json" sh -c "
	$(declare -f json_schema_ok); PY=$PY
	json_schema_ok '$TOP/schemas/spool-event.schema.json' \$(grep -l '\"recording\"' '$SPOOL'/*.json)"
tick 6
rec_url=https://s3.amazonaws.com/telnyx-recordings/
expect_eq "tick 3 logged one recording event for the recorded attempt" \
	"tx-rec.14155550110.1 ${rec_url}" \
	"$(log '"event":"recording"' | "$PY" -c '
import json, sys
for l in sys.stdin:
    e = json.loads(l); print(e["attempt_id"], e["recording_url"].split("?")[0].rsplit("/", 1)[0] + "/")')"
ok_if "... the public URL (kept as long as the file), not the 10-minute one" \
	sh -c "git -C '$R' grep -h '\"event\":\"recording\"' HEAD -- outcomes/tx-rec | grep -q '\\.mp3\"' && \
	! git -C '$R' grep -h '\"event\":\"recording\"' HEAD -- outcomes/tx-rec | grep -q 'X-Amz-Expires'"
git -C "$R" grep -h '' HEAD -- outcomes/tx-rec | grep '"event":"recording"' >"$TMP/rec.jsonl"
ok_if "the logged recording event matches event.schema.json" sh -c "
	$(declare -f json_schema_ok); PY=$PY; cp '$TMP/rec.jsonl' '$TMP/rec.json'
	json_schema_ok '$TOP/schemas/event.schema.json' '$TMP/rec.json'"
expect_eq "the spool is drained (the duplicate taken as done)" 0 "$(spool_count "$SPOOL")"
# a late re-delivery on a later tick is a duplicate too
"$PY" - "$SPOOL" "$TMP/rec.jsonl" <<'EOF'
import json, sys
e = json.loads(open(sys.argv[2]).readline())
json.dump(e, open(sys.argv[1] + "/zz-redelivered.json", "w"))
EOF
tick 9
expect_eq "a re-delivery on a later tick adds nothing" 1 "$(log '"event":"recording"' | wc -l)"
url=$(jv "$TMP/rec.jsonl" 'd["recording_url"]')
"$GITDIAL" show tx-rec --repo "$R" --calls >"$TMP/calls.txt" 2>&1
ok_if "show --calls shows the recording beside the recorded call's outcome" \
	grep -qF "Recording   $url" "$TMP/calls.txt"
"$GITDIAL" show tx-rec --repo "$R" --calls --format json >"$TMP/calls.json" 2>&1
expect_eq "show --calls --format json: the URL on the recorded attempt only" \
	"tx-rec.12125550111.1 - | tx-rec.14155550110.1 $url" "$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
calls = d["calls"] if isinstance(d, dict) else d
print(" | ".join(sorted("%s %s" % (c["attempt_id"], c.get("recording_url", "-")) for c in calls)))' "$TMP/calls.json")"
"$GITDIAL" report --repo "$R" --out "$TMP/site" >"$TMP/report.out" 2>&1
ok_if "report links the recording" sh -c "grep -rqF 'href=\"$url\"' '$TMP/site'"
ok_if "no double dial, every row accounted for (audit)" $AUDIT "$R" tx-rec
ok_if "gitdial audit passes" "$GITDIAL" audit --repo "$R"

# --- Twilio: Record=true on create, the URL in the completed callback -------
T1=$(minutes_after $T0 20)
schedule "$R" tw-rec "$T1"
fake_ctl "$TW_URL" /_control/config '{"clock":'"$(date -u -d "$T1" +%s)"',
	"deliver":{"'"$PUB"'":"'"$WEB_URL"'"}}' >/dev/null
tick 20
twlog() { git -C "$R" grep -h "$1" HEAD -- outcomes/tw-rec; }
ok_if "Twilio: both calls placed" test "$(twlog '"placed"' | wc -l)" -eq 2
tw_create() { # PHONE: Record and how the Twiml starts
	fake_ctl "$TW_URL" /_control/calls | "$PY" -c '
import json, re, sys
c = [c for c in json.load(sys.stdin) if c["to"] == sys.argv[1]][0]
f = c["form"]
print(f.get("Record", "-"), re.sub(r"^<[?]xml[^>]*>", "", f["Twiml"])[:100])' "$1"
}
expect_eq "Twilio: the Spanish speaker: Record=true, the disclosure said first" \
	'true <Response><Say language="es-US">Esta llamada puede ser grabada.</Say>' \
	"$(tw_create +14155550120 | cut -c1-74)"
expect_eq "Twilio: the English speaker: not recorded, the agent first" \
	"- <Response><Connect>" "$(tw_create +12125550121 | cut -c1-21)"
fake_ctl "$TW_URL" /_control/flush '{}' >"$TMP/tw1.json"
tick 23
expect_eq "Twilio: the recorded call's outcome carries its RecordingUrl, the other none" \
	"tw-rec.12125550121.1 - | tw-rec.14155550120.1 https://api.twilio.com/2010-04-01/Accounts/$SID/Recordings/RE" \
	"$(twlog '"outcome"' | "$PY" -c '
import json, sys
print(" | ".join(sorted("%s %s" % (e["attempt_id"], e.get("recording_url", "-")[:91])
                        for e in map(json.loads, sys.stdin))))')"

# --- validate refuses record where it cannot be honoured ---------------------
cp -r "$R" "$TMP/r2"
"$PY" - "$TMP/r2/gitdial.json" <<'EOF'
import json, sys
g = json.load(open(sys.argv[1])); del g["disclosure"]
json.dump(g, open(sys.argv[1], "w"), indent=2)
EOF
"$GITDIAL" validate --repo "$TMP/r2" >"$TMP/v2.out" 2>&1
expect_eq "validate: record with no disclosure text in gitdial.json fails (exit 1)" 1 "$?"
expect_grep "... naming the file, line and field" \
	'^campaigns/tx-rec/campaign.json:[0-9]+: error: record: needs a recording disclosure' "$TMP/v2.out"
cp -r "$R" "$TMP/r3"
"$PY" - "$TMP/r3/campaigns/whatsapp-followup/campaign.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1])); c["record"] = True
json.dump(c, open(sys.argv[1], "w"), indent=2)
EOF
"$GITDIAL" validate --repo "$TMP/r3" >"$TMP/v3.out" 2>&1
expect_eq "validate: record on a WhatsApp campaign fails (exit 1)" 1 "$?"
expect_grep "... saying WhatsApp has no recording" \
	'^campaigns/whatsapp-followup/campaign.json:[0-9]+: error: record: is not supported on a whatsapp account' "$TMP/v3.out"
# the function itself refuses record without a disclosure
"$PY" - "$TX_URL" "$CONN" >"$TMP/req.json" <<'EOF'
import json, sys
print(json.dumps({"v": 1, "action": "dial", "now": "2026-11-24T18:00:00Z",
  "attempt_id": "tx-rec.14155550119.1", "campaign": "tx-rec", "to": "+14155550119",
  "from": "+14155550100", "record": True, "disclosure": None,
  "account": {"name": "tx-main", "provider": "telnyx", "api_base": sys.argv[1],
              "credentials": {"api_key": "env:TX_KEY", "connection_id": sys.argv[2]}},
  "agent": {"stream_url": "wss://agent.example.com/voice"},
  "webhook_url": "https://hooks.example.com/gd/telnyx",
  "script": {"mode": "agent"}, "language": "en", "voicemail": "hang_up",
  "ring_timeout_s": 30}))
EOF
gitdial-telnyx dial <"$TMP/req.json" >"$TMP/norec.json" 2>/dev/null
expect_eq "gitdial-telnyx: record without a disclosure is refused before dialing" \
	"rejected record_without_disclosure 0" "$(jv "$TMP/norec.json" 'd["error"]["kind"] + " " + str(d["error"]["code"])') $(fake_ctl "$TX_URL" /_control/calls | grep -c 14155550119)"
ok_if "lighttpd logged no CGI failure" sh -c "! grep -i 'cgi.*died\|aborted' '$TMP/lighttpd.err'"
finish
