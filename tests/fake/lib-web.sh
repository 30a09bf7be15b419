# Sourced by the provider and webhook e2e tests after tests/lib.sh:
# fake providers and lighttpd on 127.0.0.1, started and stopped by the
# test itself. Everything started here is stopped by PID on exit.
FAKE_DIR=$TOP/tests/fake
PY=/usr/bin/python3
WEB_PIDS=()
# the sanitizers' reports from CGI processes land here (none expected)
SAN_DIR=$TMP/san
FCGI_SAN=$TMP/fcgi-san
mkdir -p "$SAN_DIR"

web_cleanup() {
	local p
	for p in "${WEB_PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	if [ -n "${KEEP_TMP:-}" ]; then
		echo "# kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap web_cleanup EXIT

# wait_for CMD...: retries CMD (a bounded number of times) until it succeeds.
wait_for() {
	local i
	for i in $(seq 200); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.025
	done
	echo "gave up waiting for: $*" >&2
	return 1
}

# fake_start NAME twilio|telnyx|whatsapp [ARGS...]: sets <NAME>_PORT and
# <NAME>_URL. WhatsApp's fake Graph API is fakewa.py.
fake_start() {
	local name=$1 prov=$2 pf
	shift 2
	pf=$TMP/$name.port
	if [ "$prov" = whatsapp ]; then
		"$PY" "$FAKE_DIR/fakewa.py" --port-file "$pf" "$@" >"$TMP/$name.log" 2>&1 &
	else
		"$PY" "$FAKE_DIR/fakeprov.py" --provider "$prov" --port-file "$pf" "$@" \
			>"$TMP/$name.log" 2>&1 &
	fi
	WEB_PIDS+=($!)
	wait_for test -s "$pf" || return 1
	printf -v "${name}_PORT" '%s' "$(cat "$pf")"
	printf -v "${name}_URL" 'http://127.0.0.1:%s' "$(cat "$pf")"
}

# fake_ctl URL PATH [JSON]: a control request to a fake; prints the answer.
fake_ctl() {
	if [ $# -ge 3 ]; then
		curl -sS -X POST -H 'Content-Type: application/json' --data "$3" "$1$2"
	else
		curl -sS "$1$2"
	fi
}

free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# web_start ENV_NAME=VALUE...: lighttpd serving the function binaries as
# CGI at /twilio, /telnyx, /whatsapp, /agent and /sim, with only the given environment
# (plus the sanitizers' options). Sets WEB_PORT, WEB_URL and WEB_LPID. Leak
# checks cost ~150 ms a process: they are on only with WEB_LEAKS=1 (san_cgi
# runs chosen requests with them instead).
web_start() {
	web_serve cgi "$@"
}

# web_start_fastcgi ENV_NAME=VALUE...: the same routes through lighttpd's
# mod_fastcgi: lighttpd starts WEB_FCGI_PROCS (2) long-lived processes of
# each binary (bin-path) listening on $TMP/fcgi-<route>.sock-<n>, with the
# given environment as their bin-environment; WEB_FCGI_SETENV (lighttpd
# "NAME" => "VALUE" pairs) is added to every request's FastCGI parameters
# with mod_setenv. Leak checks are always on:
# they run once, when a process exits (web_stop); ASan's exit statistics
# (atexit=1) and any report go to $FCGI_SAN/asan.<pid> (fcgi_exit_clean).
web_start_fastcgi() {
	web_serve fastcgi "$@"
}

# web_serve cgi|fastcgi ENV_NAME=VALUE...: web_start and web_start_fastcgi.
web_serve() {
	local kind=$1 conf=$TMP/lighttpd.conf env="" kv try r
	local routes=(twilio:gitdial-twilio telnyx:gitdial-telnyx
		      whatsapp:gitdial-whatsapp agent:gitdial-twilio sim:gitdial-sim)
	local asan="detect_leaks=${WEB_LEAKS:-0}:abort_on_error=1:log_path=$SAN_DIR/asan"
	shift
	[ "$kind" = fastcgi ] && asan="detect_leaks=1:abort_on_error=1:atexit=1:log_path=$FCGI_SAN/asan"
	mkdir -p "$TMP/www" "$FCGI_SAN"
	for kv in "$@" "ASAN_OPTIONS=$asan" \
		"GITDIAL_SECRETS_DIR=$GITDIAL_SECRETS_DIR" \
		"GITDIAL_ENV_ALLOW=$GITDIAL_ENV_ALLOW" \
		"GITDIAL_ALLOWED_HOSTS=$GITDIAL_ALLOWED_HOSTS" \
		"GITDIAL_AGENT_HOSTS=$GITDIAL_AGENT_HOSTS" \
		"UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$SAN_DIR/ubsan"; do
		env="$env \"${kv%%=*}\" => \"${kv#*=}\","
	done
	for try in 1 2 3; do
		WEB_PORT=$(free_port)
		cat >"$conf" <<EOF
server.document-root = "$TMP/www"
server.bind = "127.0.0.1"
server.port = $WEB_PORT
server.errorlog = "$TMP/lighttpd.err"
EOF
		if [ "$kind" = cgi ]; then
			cat >>"$conf" <<EOF
server.modules += ( "mod_alias", "mod_setenv", "mod_cgi" )
alias.url = ( "/twilio" => "$BIN/gitdial-twilio",
              "/telnyx" => "$BIN/gitdial-telnyx",
              "/whatsapp" => "$BIN/gitdial-whatsapp",
              "/agent" => "$BIN/gitdial-twilio",
              "/sim" => "$BIN/gitdial-sim" )
cgi.assign = ( "" => "" )
setenv.set-environment = ( $env )
EOF
		else
			echo 'server.modules += ( "mod_setenv", "mod_fastcgi" )' >>"$conf"
			echo "setenv.set-environment = ( ${WEB_FCGI_SETENV:-} )" >>"$conf"
			echo 'fastcgi.server = (' >>"$conf"
			for r in "${routes[@]}"; do
				if [ -n "${WEB_FCGI_SOCKET:-}" ]; then # spawn_fcgi's
					echo "  \"/${r%%:*}\" => (( \"socket\" => \"$WEB_FCGI_SOCKET\"," \
						"\"check-local\" => \"disable\" ))," >>"$conf"
					continue
				fi
				cat >>"$conf" <<EOF
  "/${r%%:*}" => (( "socket" => "$TMP/fcgi-${r%%:*}.sock",
                    "bin-path" => "$BIN/${r#*:}",
                    "max-procs" => ${WEB_FCGI_PROCS:-2},
                    "check-local" => "disable",
                    "bin-environment" => ( $env ) )),
EOF
			done
			echo ')' >>"$conf"
		fi
		/usr/sbin/lighttpd -D -f "$conf" >>"$TMP/lighttpd.out" 2>&1 &
		WEB_LPID=$!
		WEB_PIDS+=($WEB_LPID)
		WEB_URL=http://127.0.0.1:$WEB_PORT
		if wait_for curl -s -o /dev/null "$WEB_URL/"; then
			return 0
		fi
	done
	cat "$TMP/lighttpd.err" "$TMP/lighttpd.out" >&2
	return 1
}

# spawn_fcgi BINARY N ENV_NAME=VALUE...: N processes of BINARY started by
# spawn-fcgi (as for nginx) on one shared socket, with only the given
# environment (and the sanitizers'); sets WEB_FCGI_SOCKET (for
# web_start_fastcgi, which then connects every route to it) and
# SPAWN_PIDS. The processes are stopped by PID on exit.
spawn_fcgi() {
	local bin=$1 n=$2 p
	shift 2
	WEB_FCGI_SOCKET=$TMP/spawn.sock
	mkdir -p "$FCGI_SAN"
	env -i PATH=/usr/bin:/bin GITDIAL_SECRETS_DIR="$GITDIAL_SECRETS_DIR" \
		GITDIAL_ENV_ALLOW="$GITDIAL_ENV_ALLOW" \
		GITDIAL_ALLOWED_HOSTS="$GITDIAL_ALLOWED_HOSTS" \
		GITDIAL_AGENT_HOSTS="$GITDIAL_AGENT_HOSTS" "$@" \
		ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:atexit=1:log_path=$FCGI_SAN/asan" \
		LSAN_OPTIONS="$LSAN_OPTIONS" \
		UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$SAN_DIR/ubsan" \
		/usr/bin/spawn-fcgi -s "$WEB_FCGI_SOCKET" -F "$n" -P "$TMP/spawn.pids" \
		-- "$BIN/$bin" >>"$TMP/spawn.out" 2>&1 || return 1
	SPAWN_PIDS=$(cat "$TMP/spawn.pids")
	for p in $SPAWN_PIDS; do WEB_PIDS+=("$p"); done
}

# fcgi_pids ROUTE: the processes lighttpd started for a FastCGI route
# (those whose stdin is a listening socket $TMP/fcgi-ROUTE.sock-<n>,
# found through /proc/net/unix), one pid a line.
fcgi_pids() {
	local pid ino
	for pid in $(ps --ppid "$WEB_LPID" -o pid=); do
		ino=$(readlink "/proc/$pid/fd/0" 2>/dev/null | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p')
		[ -n "$ino" ] || continue
		awk -v i="$ino" -v p="$TMP/fcgi-$1.sock-" \
			'$7 == i && index($8, p) == 1 { f = 1 } END { exit !f }' /proc/net/unix &&
			echo "$pid"
	done | sort -n
}

# gone PID...: none of the processes runs any more (gone, or a zombie).
gone() {
	local p st
	for p in "$@"; do
		st=$(ps -o stat= -p "$p" 2>/dev/null)
		[ -z "$st" ] || [ "${st#Z}" != "$st" ] || return 1
	done
}

# fcgi_exit_clean PID...: under ASan, each FastCGI process returned from
# main (its exit statistics are written, which a death by signal skips)
# and reported nothing (no leak, no error).
fcgi_exit_clean() {
	local p
	! grep -h -B2 -A20 'ERROR:' "$FCGI_SAN"/asan.* 2>/dev/null || return 1
	for p in "$@"; do
		grep -q 'Stats:' "$FCGI_SAN/asan.$p" || { echo "process $p: no exit statistics"; return 1; }
	done
}

# web_stop PID...: stops lighttpd, then waits until the given processes
# it started (fcgi_pids) have exited (lighttpd sends them SIGTERM).
web_stop() {
	kill "$WEB_LPID" 2>/dev/null && wait "$WEB_LPID" 2>/dev/null
	wait_for gone "$@"
}

# post_hook PATH_AND_QUERY BODYFILE [HEADER...]: POSTs to lighttpd, prints the status.
post_hook() {
	local path=$1 body=$2 args=() h
	shift 2
	for h in "$@"; do args+=(-H "$h"); done
	curl -sS -o "$TMP/.hook_body" -w '%{http_code}' -X POST \
		--data-binary "@$body" "${args[@]}" "$WEB_URL$path"
}

# post_fn PATH BODYFILE SECRET [TS [NONCE]]: post_hook of a remote function
# request signed as the runner signs it (X-Gitdial-Timestamp, -Nonce,
# -Signature over "TS.NONCE.BODY"); prints the status.
post_fn() {
	local path=$1 body=$2 secret=$3 h=()
	mapfile -t h < <("$PY" "$FAKE_DIR/sign.py" fn "$secret" "$body" "${@:4}")
	post_hook "$path" "$body" "Content-Type: application/json" "${h[@]}"
}

# spool_count DIR: event files in a spool.
spool_count() {
	find "$1" -maxdepth 1 -name '*.json' -type f 2>/dev/null | wc -l
}

# json_schema_ok SCHEMA FILE...: every file validates against the schema.
json_schema_ok() {
	local schema=$1
	shift
	"$PY" - "$schema" "$@" <<'EOF'
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
v = Draft202012Validator(schema)
bad = 0
for f in sys.argv[2:]:
    for e in v.iter_errors(json.load(open(f))):
        print("%s: %s" % (f, e.message)); bad += 1
sys.exit(1 if bad else 0)
EOF
}

# san_clean: no sanitizer report was written by a CGI or FastCGI process.
san_clean() {
	if [ -n "$(ls -A "$SAN_DIR")" ]; then
		cat "$SAN_DIR"/* | head -40
		return 1
	fi
}

# jv JSON_FILE PY_EXPR: prints a Python expression over the JSON in d
# (strings bare, everything else as JSON), or "ERR" when it fails.
jv() {
	"$PY" - "$1" "$2" <<'EOF_PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    r = eval(sys.argv[2], {"d": d, "json": json})
    print(r if isinstance(r, str) else json.dumps(r))
except Exception as e:
    print("ERR")
EOF_PY
}

# san_cgi BINARY METHOD PATH QUERY BODYFILE [HEADER=VALUE...]: runs one
# request through a function binary as CGI/1.1 directly, with leak
# checks on; prints the reply's status. Headers are given as CGI
# variables (HTTP_X_TWILIO_SIGNATURE=...). The environment for the
# function comes from the caller (GITDIAL_REPO, GITDIAL_SPOOL, secrets).
san_cgi() {
	local bin=$1 method=$2 path=$3 query=$4 body=$5
	shift 5
	env GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD="$method" SCRIPT_NAME="$path" \
		QUERY_STRING="$query" CONTENT_LENGTH="$(wc -c <"$body")" \
		CONTENT_TYPE="${CGI_CONTENT_TYPE:-application/x-www-form-urlencoded}" \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 "$@" \
		"$BIN/$bin" <"$body" >"$TMP/.cgi_out" 2>"$TMP/.cgi_err" || {
		cat "$TMP/.cgi_err" >&2
		echo crashed
		return 1
	}
	sed -n 's/^Status: \([0-9]*\).*/\1/p' "$TMP/.cgi_out"
}

# json_obj OUT ARRAY: sets variable OUT to a JSON object made from the
# associative ARRAY, whose values are raw JSON (no process is started).
json_obj() {
	local -n _m=$2
	local _s="{" _k _sep=""
	for _k in "${!_m[@]}"; do
		_s+="$_sep\"$_k\":${_m[$_k]}"
		_sep=","
	done
	printf -v "$1" '%s}' "$_s"
}

# err_kind FILE: "kind code" of a function's failure response.
err_kind() {
	sed -n 's/.*"error":{"kind":"\([a-z_]*\)","code":"\([^"]*\)".*/\1 \2/p' "$1"
}
