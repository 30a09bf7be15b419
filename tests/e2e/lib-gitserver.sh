# Sourced by tests after tests/lib.sh (and after tests/fake/lib-web.sh
# when a test uses both): real git servers on 127.0.0.1.
#
#   url=$(gitsrv_http BARE_REPO USER PASSWORD)
#       lighttpd (mod_auth, basic, a plain user file) in front of
#       git http-backend (CGI) serving BARE_REPO for fetch and push;
#       prints http://127.0.0.1:PORT/git/<name of BARE_REPO>.
#       gitsrv_http_url_with USER PASSWORD URL: the URL with credentials.
#   port=$(gitsrv_ssh AUTHORIZED_KEYS)
#       /usr/sbin/sshd -D with its own config and host key, as the current
#       user, on a free port; keys in AUTHORIZED_KEYS may log in. Writes
#       its known_hosts line to $GITSRV_DIR/known_hosts-PORT. Repositories
#       are then ssh://$(id -un)@127.0.0.1:PORT/ABSOLUTE/PATH.
#
# Both may be called in $(...): the servers run in the background and are
# found again through their pid files under $GITSRV_DIR, and stopped by
# pid when the test exits (gitsrv_stop_all, chained before the exit trap
# set by lib.sh or lib-web.sh).
GITSRV_DIR=$TMP/gitsrv
mkdir -p "$GITSRV_DIR"

_gitsrv_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# _gitsrv_poll CMD...: CMD until it succeeds, at most ~5 s.
_gitsrv_poll() {
	local i
	for i in $(seq 200); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.025
	done
	return 1
}

gitsrv_stop_all() {
	local f p
	for f in "$GITSRV_DIR"/*.pid; do
		[ -f "$f" ] || continue
		p=$(cat "$f" 2>/dev/null)
		[ -n "$p" ] && kill "$p" 2>/dev/null
	done
	return 0
}
# chain before whatever exit trap is set now (lib.sh's, lib-web.sh's)
_gitsrv_prev=$(trap -p EXIT | sed -n "s/^trap -- '\(.*\)' EXIT\$/\1/p")
# shellcheck disable=SC2064
trap "gitsrv_stop_all; $_gitsrv_prev" EXIT

# gitsrv_http BARE_REPO USER PASSWORD: see above. Push works for USER
# (http-backend enables receive-pack for an authenticated REMOTE_USER).
gitsrv_http() {
	local repo root name port conf d try
	repo=$(cd "$1" && pwd) || return 1
	root=$(dirname "$repo")
	name=$(basename "$repo")
	for try in 1 2 3; do
		port=$(_gitsrv_port)
		d=$GITSRV_DIR/http-$port
		mkdir -p "$d/www"
		printf '%s:%s\n' "$2" "$3" >"$d/users"
		conf=$d/lighttpd.conf
		cat >"$conf" <<EOF
server.document-root = "$d/www"
server.bind = "127.0.0.1"
server.port = $port
server.pid-file = "$GITSRV_DIR/http-$port.pid"
server.errorlog = "$d/error.log"
server.modules += ( "mod_auth", "mod_authn_file", "mod_alias", "mod_setenv", "mod_cgi" )
auth.backend = "plain"
auth.backend.plain.userfile = "$d/users"
auth.require = ( "/git/" => ( "method" => "basic", "realm" => "git",
                              "require" => "valid-user" ) )
alias.url = ( "/git/" => "/usr/lib/git-core/git-http-backend/" )
\$HTTP["url"] =~ "^/git/" {
	cgi.assign = ( "" => "" )
	setenv.set-environment = ( "GIT_PROJECT_ROOT" => "$root",
	                           "GIT_HTTP_EXPORT_ALL" => "1",
	                           "PATH" => "/usr/bin:/bin" )
}
EOF
		# lighttpd daemonises once it listens; its pid is in the pid file
		/usr/sbin/lighttpd -f "$conf" >"$d/out.log" 2>&1 </dev/null || continue
		if _gitsrv_poll curl -s -o /dev/null "http://127.0.0.1:$port/"; then
			echo "http://127.0.0.1:$port/git/$name"
			return 0
		fi
	done
	cat "$d/error.log" "$d/out.log" >&2
	return 1
}

# gitsrv_http_url_with USER PASSWORD URL: URL with USER:PASSWORD in it.
gitsrv_http_url_with() {
	echo "${3/http:\/\//http://$1:$2@}"
}

# gitsrv_ssh AUTHORIZED_KEYS: see above.
gitsrv_ssh() {
	local keys port d try
	keys=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
	# sshd started by root checks its privilege separation directory
	[ "$(id -u)" = 0 ] && [ ! -d /run/sshd ] && mkdir -p /run/sshd && chmod 755 /run/sshd
	for try in 1 2 3; do
		port=$(_gitsrv_port)
		d=$GITSRV_DIR/ssh-$port
		mkdir -p "$d"
		ssh-keygen -q -t ed25519 -N '' -f "$d/host_key" || return 1
		cat >"$d/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $d/host_key
PidFile $GITSRV_DIR/ssh-$port.pid
AuthorizedKeysFile $keys
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
AllowAgentForwarding no
AllowTcpForwarding no
X11Forwarding no
PrintMotd no
LogLevel VERBOSE
EOF
		/usr/sbin/sshd -D -f "$d/sshd_config" -E "$d/sshd.log" \
			>"$d/out.log" 2>&1 </dev/null &
		if _gitsrv_poll test -s "$GITSRV_DIR/ssh-$port.pid" &&
		   _gitsrv_poll ssh-keyscan -p "$port" -t ed25519 127.0.0.1; then
			echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$d/host_key.pub")" \
				>"$GITSRV_DIR/known_hosts-$port"
			echo "$port"
			return 0
		fi
		kill $! 2>/dev/null
	done
	cat "$d/sshd.log" "$d/out.log" >&2
	return 1
}
