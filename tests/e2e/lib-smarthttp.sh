# Sourced by e2e tests after tests/lib.sh: a git smart-HTTP server on
# 127.0.0.1, git http-backend as CGI under lighttpd, with HTTP basic auth
# (mod_auth, a plain user file) on every request, as a git host has.
# (A minimal one for the workflow tests; another branch brings a fuller
# tests/e2e/lib-gitserver.sh.)
#
#   smarthttp_start USER PASSWORD   sets GITSRV_URL (http://127.0.0.1:PORT/git)
#                                   and GITSRV_ROOT (where bare repos go)
#   smarthttp_stop                  stops lighttpd (also on exit)
SMARTHTTP_PID=

smarthttp_stop() {
	if [ -n "$SMARTHTTP_PID" ]; then
		kill "$SMARTHTTP_PID" 2>/dev/null && wait "$SMARTHTTP_PID" 2>/dev/null
		SMARTHTTP_PID=
	fi
}

smarthttp_start() {
	local user=$1 pass=$2 dir=$TMP/smarthttp port i
	mkdir -p "$dir/repos" "$dir/www"
	port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	printf '%s:%s\n' "$user" "$pass" >"$dir/users"
	cat >"$dir/lighttpd.conf" <<CONF
server.document-root = "$dir/www"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$dir/error.log"
server.modules = ( "mod_alias", "mod_auth", "mod_authn_file", "mod_setenv", "mod_cgi" )
auth.backend = "plain"
auth.backend.plain.userfile = "$dir/users"
auth.require = ( "/git" => ( "method" => "basic", "realm" => "git",
                             "require" => "valid-user" ) )
alias.url = ( "/git" => "/usr/lib/git-core/git-http-backend" )
\$HTTP["url"] =~ "^/git" {
	cgi.assign = ( "" => "" )
	setenv.set-environment = ( "GIT_PROJECT_ROOT" => "$dir/repos",
	                           "GIT_HTTP_EXPORT_ALL" => "1",
	                           "PATH" => "/usr/bin:/bin" )
}
CONF
	lighttpd -D -f "$dir/lighttpd.conf" >"$dir/lighttpd.out" 2>&1 &
	SMARTHTTP_PID=$!
	GITSRV_URL=http://127.0.0.1:$port/git
	GITSRV_ROOT=$dir/repos
	for i in $(seq 200); do
		curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
		sleep 0.025
	done
	echo "lighttpd did not start: $(cat "$dir/lighttpd.out" "$dir/error.log" 2>/dev/null)" >&2
	return 1
}
