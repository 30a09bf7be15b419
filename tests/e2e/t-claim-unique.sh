#!/usr/bin/env bash
# Two runners that plan from the same head at the same second (cron on
# two machines, both at :00) must not make the same claim commit: the
# second push would find the branch already there and succeed, and both
# would dial every call of the claim (seen in t-topology: Twilio called
# one attempt twice). Each commit carries its run's id, so the claims
# differ and the compare-and-swap lets one through.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-gitserver.sh"

T0=2026-11-24T15:00:00Z
new_repo "$TMP/seed" >/dev/null || exit 1
rm -rf "$TMP/seed/campaigns/ramadan-survey" "$TMP/seed/campaigns/nov-reminders"
git_commit_all "$TMP/seed" "only the drafts"
add_campaign "$TMP/seed" same 6 212 3 0
schedule "$TMP/seed" same $T0
mkdir -p "$TMP/srv"
git clone -q --bare "$TMP/seed" "$TMP/srv/c.git"
git -C "$TMP/srv/c.git" config http.receivepack true
URL=$(gitsrv_http "$TMP/srv/c.git" u pw)
H=$(git -C "$TMP/srv/c.git" rev-parse main)
export GITDIAL_SIM_DIR=$TMP/carrier
for r in a b; do git clone -q "$(gitsrv_http_url_with u pw "$URL")" "$TMP/$r"; done
claim_of() { # REPO: the first commit after H on its branch (the claim)
	git -C "$1" rev-list --reverse "$H..HEAD" | head -1
}
"$GITDIAL" tick --repo "$TMP/a" --remote origin --now $T0 >"$TMP/a.out" 2>&1
expect_eq "runner A's tick exits 0" 0 $?
A=$(claim_of "$TMP/a")
# runner B fetched the same head before A pushed: the server's branch as B saw it
git -C "$TMP/srv/c.git" update-ref refs/heads/main "$H"
"$GITDIAL" tick --repo "$TMP/b" --remote origin --now $T0 >"$TMP/b.out" 2>&1
expect_eq "runner B's tick exits 0" 0 $?
B=$(claim_of "$TMP/b")
expect_eq "both planned the same claim" "$(git -C "$TMP/a" log -1 --format=%s "$A")" \
	"$(git -C "$TMP/b" log -1 --format=%s "$B")"
ok_if "... yet their claim commits differ ($A, $B)" test -n "$A" -a -n "$B" -a "$A" != "$B"
ok_if "each commit names its run (Gitdial-Run trailer), the two runs apart" sh -c \
	"ra=\$(git -C '$TMP/a' log -1 --format=%B '$A' | sed -n 's/^Gitdial-Run: //p');
	 rb=\$(git -C '$TMP/b' log -1 --format=%B '$B' | sed -n 's/^Gitdial-Run: //p');
	 test \${#ra} = 32 -a \${#rb} = 32 -a \"\$ra\" != \"\$rb\""
finish
