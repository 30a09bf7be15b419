#!/usr/bin/env bash
# States that are true: a campaign reads Scheduled until a tick started
# it, an archived one reads Archived (never Dialing), skip reasons are
# counted from the skip events in show and the report, and a started
# campaign's audience edits are refused by validate naming file and row.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

T0=2026-11-24T15:00:00Z
OP="Ops <ops@example.com>"
R=$TMP/repo
drafts_repo "$R" || exit 1
add_campaign "$R" st 6 212 3 0
# a row whose number is not one, and a second row for a number
printf '+1212abc,Bad row\n+12125500000,Twice\n' >>"$R/campaigns/st/audience.csv"
git_commit_all "$R" "st: two rows that cannot be dialed"
schedule "$R" st $T0

# 1. due but not started: Scheduled, in show and list
"$GITDIAL" show st --repo "$R" --now "$(minutes_after $T0 1)" >"$TMP/show0" 2>&1
expect_grep "before any tick: show says Scheduled" 'Status *Scheduled' "$TMP/show0"
expect_grep "... and that the next tick starts it" 'Starts *at the next tick' "$TMP/show0"
"$GITDIAL" list --repo "$R" --now "$(minutes_after $T0 1)" --format json >"$TMP/list0.json"
expect_eq "before any tick: list says Scheduled" Scheduled \
	"$(jv "$TMP/list0.json" '[c["status"] for c in d if c["id"] == "st"][0]')"

# 2. a tick started it: Dialing, with the skip reasons counted
"$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 1)" >/dev/null 2>&1
"$GITDIAL" show st --repo "$R" --now "$(minutes_after $T0 1)" >"$TMP/show1" 2>&1
expect_grep "after a tick: show says Dialing" 'Status *Dialing' "$TMP/show1"
expect_grep "show counts the skips by reason" 'Skipped *2: invalid 1, duplicate 1' "$TMP/show1"
"$GITDIAL" show st --repo "$R" --now "$(minutes_after $T0 1)" --format json >"$TMP/show1.json"
expect_eq "... in JSON too" "1 1" "$(jv "$TMP/show1.json" \
	'" ".join(str(d["progress"]["skip_reasons"][k]) for k in ("invalid", "duplicate"))')"
"$GITDIAL" report --repo "$R" --out "$TMP/site" --now "$(minutes_after $T0 1)" >/dev/null 2>&1
expect_grep "the report's page counts the skips by reason" \
	'id="skip-reasons">2 skipped: invalid 1, duplicate 1' "$TMP/site/active/st.html"

# 3. the audience of a started campaign: rows the log names stay put
A=$R/campaigns/st/audience.csv
cp "$A" "$TMP/aud.orig"
"$GITDIAL" validate --repo "$R" >"$TMP/v0" 2>&1
expect_eq "validate passes the started campaign as it is" 0 $?
sed -i '3d' "$A"    # the second row, dialed by the first tick
"$GITDIAL" validate --repo "$R" >"$TMP/v1" 2>&1
expect_eq "a dialed row removed: validate fails" 1 $?
expect_grep "... naming the file, the row and the number" \
	'campaigns/st/audience.csv:3.*\+12125500001, dialed or skipped by the started campaign st from this line, was removed' "$TMP/v1"
"$GITDIAL" validate --repo "$R" campaigns/st/audience.csv >"$TMP/v1b" 2>&1
expect_eq "... also when validate is given the changed file" 1 $?
cp "$TMP/aud.orig" "$A"
sed -i '2i +12125509999,New first' "$A"
"$GITDIAL" validate --repo "$R" >"$TMP/v2" 2>&1
expect_eq "a row inserted above the dialed ones: validate fails" 1 $?
expect_grep "... saying where the row went" \
	'campaigns/st/audience.csv:2.*\+12125500000.*is now on line 3' "$TMP/v2"
cp "$TMP/aud.orig" "$A"
printf '+12125509999,New last\n' >>"$A"
"$GITDIAL" validate --repo "$R" >"$TMP/v3" 2>&1
expect_eq "a row added at the end is fine" 0 $?
cp "$TMP/aud.orig" "$A"

# 4. an archived campaign is Archived, whatever its start_at says
add_campaign "$R" later 3 212 1 0
schedule "$R" later "$(minutes_after $T0 60)"
"$GITDIAL" archive later --yes --repo "$R" --author "$OP" --now "$(minutes_after $T0 2)" >/dev/null 2>&1
expect_eq "a Scheduled campaign is archived" 0 $?
"$GITDIAL" show later --archived --repo "$R" --now "$(minutes_after $T0 120)" >"$TMP/show2" 2>&1
expect_grep "past its start_at, show --archived says Archived" 'Status *Archived' "$TMP/show2"
"$GITDIAL" list --archived --repo "$R" --now "$(minutes_after $T0 120)" --format json >"$TMP/list2.json"
expect_eq "... and list --archived" Archived "$(jv "$TMP/list2.json" 'd[0]["status"]')"
"$GITDIAL" list --archived --repo "$R" --now "$(minutes_after $T0 120)" >"$TMP/list2" 2>&1
ok_if "... and the table (no Dialing anywhere)" sh -c "grep -q Archived '$TMP/list2' && ! grep -q Dialing '$TMP/list2'"
ok_if "git fsck is clean" git -C "$R" fsck --strict
finish
