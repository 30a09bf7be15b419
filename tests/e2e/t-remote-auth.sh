#!/usr/bin/env bash
# Authenticated remotes: `gitdial tick --remote origin` fetches and pushes
# through git http-backend behind lighttpd with basic auth, and through
# sshd with a key, each way a runner has credentials (docs/remotes.md).
# A refused or missing credential fails the tick before it claims
# anything: non-zero exit, the remote named, no secret printed, the
# server's branch and the clone untouched, nothing dialed.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-gitserver.sh"
unset GITDIAL_GIT_TOKEN GITDIAL_GIT_USER GITDIAL_SSH_KEY GITDIAL_SSH_KEY_PASSPHRASE SSH_AUTH_SOCK

T0=2026-11-24T14:00:00Z
SEED=$TMP/seed
new_repo "$SEED"
add_campaign "$SEED" gen 400 212 8
schedule "$SEED" gen 2026-11-24T09:00:00-05:00
mkdir -p "$TMP/srv"
git clone -q --bare "$SEED" "$TMP/srv/camp.git"
BARE=$TMP/srv/camp.git
git -C "$BARE" config http.receivepack true

URL=$(gitsrv_http "$BARE" alice 's3cret-pw')
ok_if "lighttpd + git http-backend with basic auth started" test -n "$URL"
ok_if "the server refuses git without credentials" sh -c "! GIT_TERMINAL_PROMPT=0 git ls-remote '$URL' >/dev/null 2>&1"
HOSTPORT=${URL#http://}; HOSTPORT=${HOSTPORT%%/*}

# One runner's clone C, as a persistent runner keeps it (the sim's
# outcomes reach its spool, so every tick frees slots and claims more).
# clone URL: origin becomes URL, and no http.* config is left from the
# case before.
n=0
C=$TMP/runner
git clone -q "$BARE" "$C"
clone() {
	local k
	n=$((n + 1))
	git -C "$C" remote set-url origin "$1"
	for k in $(git -C "$C" config --name-only --get-regexp '^http\.' | sort -u); do
		git -C "$C" config --unset-all "$k"
	done
}
# tick_remote: one tick of the clone C against origin, output in $TMP/out.
tick_remote() {
	"$GITDIAL" tick --repo "$C" --remote origin --now "$(minutes_after $T0 "$n")" \
		>"$TMP/out" 2>&1
}
# pushed DESC: the tick succeeded, and the server's main is the clone's
# new commit (fetched, claimed, pushed).
pushed() {
	local before rc
	before=$(git -C "$BARE" rev-parse main)
	tick_remote; rc=$?
	expect_eq "$1: the tick exits 0" 0 "$rc"
	[ "$rc" = 0 ] || sed 's/^/#   /' "$TMP/out"
	ok_if "$1: the server's main moved to the clone's commit" sh -c \
		"test '$before' != \"\$(git -C '$BARE' rev-parse main)\" &&
		 test \"\$(git -C '$BARE' rev-parse main)\" = \"\$(git -C '$C' rev-parse refs/remotes/origin/main)\" &&
		 git -C '$BARE' log -1 --format=%an main | grep -q 'gitdial runner'"
}
# refused DESC PATTERN: the tick failed with an error naming the remote
# and matching PATTERN, printed no secret, and changed nothing anywhere.
refused() {
	local before local_before spooled rc
	before=$(git -C "$BARE" rev-parse main)
	local_before=$(git -C "$C" rev-parse HEAD)
	spooled=$(ls "$C/.git/gitdial/spool" 2>/dev/null | wc -l)
	tick_remote; rc=$?
	expect_eq "$1: the tick exits 1 (an error, not a crash)" 1 "$rc"
	expect_grep "$1: the error names the remote and the cause" \
		"remote 'origin' \(.*\) failed: .*$2" "$TMP/out"
	ok_if "$1: no secret in the output" sh -c \
		"! grep -E 's3cret-pw|wrong-pw|tok-[0-9]|YWxpY2U6' '$TMP/out'"
	ok_if "$1: nothing claimed, pushed or dialed" sh -c \
		"test '$before' = \"\$(git -C '$BARE' rev-parse main)\" &&
		 test '$local_before' = \"\$(git -C '$C' rev-parse HEAD)\" &&
		 test '$spooled' = \"\$(ls '$C/.git/gitdial/spool' 2>/dev/null | wc -l)\""
}

# --- smart HTTP with basic auth ---
clone "$(gitsrv_http_url_with alice s3cret-pw "$URL")"
pushed "http, user:password in the URL"

clone "$(gitsrv_http_url_with alice wrong-pw "$URL")"
refused "http, a wrong password in the URL" "refused the user and password in the remote's URL"
ok_if "http, the URL is printed with its password masked" grep -q "alice:\*\*\*@$HOSTPORT" "$TMP/out"

clone "$URL"
refused "http, no credentials at all" "asks for credentials and none are set"

# what actions/checkout leaves: http.<url>.extraheader in .git/config
basic=$(printf 'alice:s3cret-pw' | base64)
clone "$URL"
git -C "$C" config "http.http://$HOSTPORT/.extraheader" "AUTHORIZATION: basic $basic"
pushed "http, the extraheader actions/checkout writes"

clone "$URL"
git -C "$C" config "http.${URL}.extraheader" "AUTHORIZATION: basic $basic"
pushed "http, an extraheader for the repository's exact URL"

clone "$URL"
git -C "$C" config "http.extraheader" "AUTHORIZATION: basic $basic"
pushed "http, a plain http.extraheader (every URL)"

clone "$URL"
git -C "$C" config "http.http://$HOSTPORT/git/other.git.extraheader" "AUTHORIZATION: basic $basic"
git -C "$C" config --add "http.http://$HOSTPORT/gi.extraheader" "AUTHORIZATION: basic $basic"
git -C "$C" config --add "http.https://$HOSTPORT/.extraheader" "AUTHORIZATION: basic $basic"
git -C "$C" config --add "http.http://localhost:${HOSTPORT#*:}/.extraheader" "AUTHORIZATION: basic $basic"
refused "http, extraheaders for other URLs (path, prefix not at a /, scheme, host) are not sent" \
	"asks for credentials and none are set"

clone "$URL"
git -C "$C" config "http.http://$HOSTPORT/.extraheader" "AUTHORIZATION: basic $(printf 'alice:wrong-pw' | base64)"
refused "http, a wrong extraheader" "refused the http.extraheader"

clone "$URL"
git -C "$C" config "http.extraheader" "AUTHORIZATION: basic $basic"
git -C "$C" config --add "http.extraheader" ""
refused "http, an empty extraheader clears the ones before it (as git)" "none are set"

clone "$URL"
export GITDIAL_GIT_USER=alice GITDIAL_GIT_TOKEN=s3cret-pw
pushed "http, a token in GITDIAL_GIT_TOKEN (user GITDIAL_GIT_USER)"
export GITDIAL_GIT_TOKEN=tok-12345
clone "$URL"
refused "http, a wrong GITDIAL_GIT_TOKEN" "refused the token in GITDIAL_GIT_TOKEN"
unset GITDIAL_GIT_USER GITDIAL_GIT_TOKEN

# no proxy is used (libgit2 1.5 sends a plain-http request with the URL's
# credentials in its request line when one is set; docs/remotes.md)
clone "$(gitsrv_http_url_with alice s3cret-pw "$URL")"
http_proxy=http://127.0.0.1:$(_gitsrv_port) pushed "http, http_proxy in the environment is not used"

# operator commands publish the same way (store_edit: fetch, commit, push)
clone "$URL"
git -C "$C" config "http.http://$HOSTPORT/.extraheader" "AUTHORIZATION: basic $basic"
before=$(git -C "$BARE" rev-parse main)
ok_if "http, gitdial pause --remote origin with the extraheader" \
	"$GITDIAL" pause gen --repo "$C" --author "Ops <ops@example.com>" --remote origin --now "$(minutes_after $T0 30)"
ok_if "http, the pause reached the server" test "$before" != "$(git -C "$BARE" rev-parse main)"
ok_if "http, gitdial resume --remote origin with the extraheader" \
	"$GITDIAL" resume gen --repo "$C" --author "Ops <ops@example.com>" --remote origin --now "$(minutes_after $T0 31)"

# --- ssh with a key ---
# libgit2 1.5.1 leaks what it reads of ~/.ssh/known_hosts at every ssh
# connection (load_known_hosts: the path and libssh2's knownhost list,
# never freed; libgit2 1.6 frees them). Its frames have no symbols, so
# for the ssh part only, leaks allocated inside git_remote_connect_ext
# are suppressed (full stacks: fast_unwind_on_malloc=0). Nothing of ours
# is allocated there.
{ cat "$TOP/tests/lsan.supp"; echo "leak:git_remote_connect_ext"; } >"$TMP/lsan-ssh.supp"
export LSAN_OPTIONS="suppressions=$TMP/lsan-ssh.supp:print_suppressions=0"
export ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0"
mkdir -p "$TMP/keys" "$TMP/home/.ssh"
ssh-keygen -q -t ed25519 -N '' -C gitdial-test -f "$TMP/keys/id_good"
ssh-keygen -q -t ed25519 -N '' -C gitdial-test -f "$TMP/keys/id_other"
cp "$TMP/keys/id_good.pub" "$TMP/keys/authorized_keys"
SSH_PORT=$(gitsrv_ssh "$TMP/keys/authorized_keys")
ok_if "sshd started on 127.0.0.1" test -n "$SSH_PORT"
cp "$GITSRV_DIR/known_hosts-$SSH_PORT" "$TMP/home/.ssh/known_hosts"
SSH_URL="ssh://$(id -un)@127.0.0.1:$SSH_PORT$BARE"
export HOME=$TMP/home

clone "$SSH_URL"
export GITDIAL_SSH_KEY=$TMP/keys/id_good
pushed "ssh, the key file in GITDIAL_SSH_KEY"

clone "ssh://127.0.0.1:$SSH_PORT$BARE"
pushed "ssh, no user in the URL: the local login name"

clone "$SSH_URL"
export GITDIAL_SSH_KEY=$TMP/keys/id_other
refused "ssh, a key the server does not accept" "refused the key GITDIAL_SSH_KEY"
unset GITDIAL_SSH_KEY

clone "$SSH_URL"
refused "ssh, no key and no agent" "no ssh key"

eval "$(ssh-agent -s -a "$TMP/agent.sock")" >/dev/null
ssh-add -q "$TMP/keys/id_good" 2>/dev/null
clone "$SSH_URL"
pushed "ssh, the agent at SSH_AUTH_SOCK"
ssh-add -q -D 2>/dev/null
ssh-add -q "$TMP/keys/id_other" 2>/dev/null
clone "$SSH_URL"
refused "ssh, an agent without an accepted key" "refused every key of the agent"
ssh-agent -k >/dev/null 2>&1
unset SSH_AUTH_SOCK SSH_AGENT_PID

export GITDIAL_SSH_KEY=$TMP/keys/id_good
: >"$TMP/home/.ssh/known_hosts"
clone "$SSH_URL"
refused "ssh, a host key not in ~/.ssh/known_hosts" "host key of '127.0.0.1' is not in ~/.ssh/known_hosts"
echo "[127.0.0.1]:$SSH_PORT $(cut -d' ' -f1,2 "$TMP/keys/id_other.pub")" >"$TMP/home/.ssh/known_hosts"
clone "$SSH_URL"
refused "ssh, a different host key in known_hosts" "known_hosts"
ssh-keyscan -H -t ed25519 -p "$SSH_PORT" 127.0.0.1 >"$TMP/home/.ssh/known_hosts" 2>/dev/null
clone "$SSH_URL"
pushed "ssh, a hashed known_hosts entry (ssh-keyscan -H)"
cp "$GITSRV_DIR/known_hosts-$SSH_PORT" "$TMP/home/.ssh/known_hosts"

ok_if "the server's repository is sound after it all" git -C "$BARE" fsck --no-progress --no-dangling
ok_if "the runs audit clean (no double dial)" $AUDIT "$BARE" gen
finish
