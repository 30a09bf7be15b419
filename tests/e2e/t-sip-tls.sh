#!/usr/bin/env bash
# gitdial-sip over TLS (issue 20): the trunk's certificate chain and name
# are verified (a pinned CA with trunk.tls_ca), the name is sent as SNI,
# a certificate that fails either check gets no INVITE; SRTP keys are
# never relayed to the agent's unencrypted leg. The TLS trunk is a small
# python peer (tests/sip/tls-trunk.py): sipp cannot report SNI or say
# whether a client went on after a bad certificate.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/sip/lib-sip.sh"
PEERS=""
trap 'sipp_kill_all; for p in $PEERS; do kill "$p" 2>/dev/null; done; [ -n "${KEEP_TMP:-}" ] && echo "# kept $TMP" || rm -rf "$TMP"' EXIT
command -v openssl >/dev/null || { echo "Bail out! openssl is not installed"; exit 1; }

# --- a test CA, a trunk certificate it signed, a self-signed impostor --------
C=$TMP/certs
mkdir -p "$C"
ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
openssl req -x509 $ec -keyout "$C/ca.key" -out "$C/ca.pem" -days 2 \
	-subj /CN=gitdial-test-ca -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req $ec -keyout "$C/trunk.key" -out "$C/trunk.csr" -subj /CN=trunk.test 2>/dev/null
printf 'subjectAltName=DNS:trunk.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$C/ext"
openssl x509 -req -in "$C/trunk.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" \
	-CAcreateserial -out "$C/trunk.pem" -days 2 -extfile "$C/ext" 2>/dev/null
openssl req -x509 $ec -keyout "$C/evil.key" -out "$C/evil.pem" -days 2 \
	-subj /CN=trunk.test -addext subjectAltName=DNS:trunk.test 2>/dev/null
ok_if "test certificates made" test -s "$C/trunk.pem" -a -s "$C/evil.pem"

# tls_call NAME CERT KEY TRUNK_JSON_EXTRA: a TLS peer and a dial to it.
tls_call() {
	local name=$1 cert=$2 key=$3 extra=$4 port
	port_pick port
	mkdir -p "$TMP/$name/spool"
	: >"$TMP/$name/peer.log"
	"$PY" "$SIPDIR/tls-trunk.py" "$port" "$cert" "$key" "$TMP/$name/peer.log" 40 &
	PEERS="$PEERS $!"
	poll 10 port_bound tcp "$port"
	req "$TMP/$name/req.json" "$port" 9 \
		'account.trunk={"proxy":"sip:127.0.0.1:'"$port"'","transport":"tls"'"$extra"'}'
	GITDIAL_SPOOL=$TMP/$name/spool "$SIP" dial <"$TMP/$name/req.json" >"$TMP/$name/dial"
}
tls_call good "$C/trunk.pem" "$C/trunk.key" ',"tls_ca":"'"$C/ca.pem"'","tls_server_name":"trunk.test"'
tls_call selfsigned "$C/evil.pem" "$C/evil.key" ',"tls_ca":"'"$C/ca.pem"'","tls_server_name":"trunk.test"'
tls_call wrongname "$C/trunk.pem" "$C/trunk.key" ',"tls_ca":"'"$C/ca.pem"'","tls_server_name":"other.test"'
tls_call system "$C/trunk.pem" "$C/trunk.key" ',"tls_server_name":"trunk.test"'
call_start srtp "$SIPDIR/rcp-srtp.xml" "$SIPDIR/agent-answer.xml" "" ""

# --- a certificate from the pinned CA, for the right name: the call goes on --
SPOOL=$TMP/good/spool
poll 30 spool_has_outcome "$SPOOL"
OUT=$(spool_outcome "$SPOOL")
expect_eq "pinned CA, right name: the INVITE went through, busy" "busy 486" "$(jget "$OUT" outcome sip_code)"
ok_if "the client sent the trunk's name as SNI" grep -qx 'sni trunk.test' "$TMP/good/peer.log"

# --- certificates that must be refused: no INVITE ever reaches the peer --------
for n in selfsigned wrongname system; do
	SPOOL=$TMP/$n/spool
	poll 40 spool_has_outcome "$SPOOL"
	OUT=$(spool_outcome "$SPOOL")
	expect_eq "$n: the call failed, kind account (pauses the campaign), tls_verify, with a hint" \
		"failed account tls_verify true" \
		"$(jget "$OUT" outcome error.kind error.code) $([ -n "$(jget "$OUT" error.hint)" ] && echo true)"
	echo "# $n: $(jget "$OUT" error.message)"
	ok_if "$n: the peer never got an INVITE (the handshake failed)" \
		eval "! grep -q '^request' '$TMP/$n/peer.log' && grep -q '^handshake_failed' '$TMP/$n/peer.log'"
done

# --- a CA file that cannot be read: the dial fails, kind account -------------------
mkdir -p "$TMP/noca/spool"
req "$TMP/noca/req.json" 9 9 'account.trunk={"proxy":"sip:127.0.0.1:9","transport":"tls","tls_ca":"/nonexistent/ca.pem"}'
r=$(GITDIAL_SPOOL=$TMP/noca/spool "$SIP" dial <"$TMP/noca/req.json")
expect_eq "an unreadable trunk.tls_ca: dial fails, kind account, naming the setting" "false account true" \
	"$(jget "$r" ok error.kind) $(jget "$r" error.message | grep -q trunk.tls_ca && echo true)"

# --- SRTP keys over a plain trunk are not relayed to the agent ---------------------
call_end srtp
expect_eq "a=crypto offered over udp: failed, kind account, srtp_keys" "failed account srtp_keys" \
	"$(jget "$OUT" outcome error.kind error.code)"
expect_eq "the trunk's offer was declined in the ACK, then BYE (sipp passed)" "0 INVITE 200 ACK BYE 200 " \
	"$RCP_RC $(msgs srtp_rcp)"
ok_if "the agent never got the key: no INVITE reached it" \
	eval "! grep -qs '^INVITE ' '$TMP/srtp_agent.msg'"
sipp_kill_all

ok_if "no sanitizer report from any gitdial-sip process" san_clean
finish
