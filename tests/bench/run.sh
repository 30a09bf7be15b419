#!/usr/bin/env bash
# gitdial performance bench (issues 2 and 3, "Performance").
#
#   tests/bench/run.sh [--quick] [--keep] [--only validate|tick|flat|audit|webhooks|hooks|dials|ingest|for|shards|month]
#
# Uses build/bin/ (./build.sh bench builds it first). Prints one table:
# figure | target | measured | ok. Nothing here is a test: a missed target
# is reported, never a failure; the exit status is 0 unless the harness
# itself breaks.
#
#   --quick  10x smaller inputs (100k rows, 200k events, 1,000 files,
#            500 webhook deliveries; shards: 8 campaigns of 2,500, 20
#            rounds; month: 1,000 calls a day): the targets are for the
#            full sizes, so "ok" is only a hint
#   --keep   keep the work directory (to profile by hand)
#   --only   run one group of figures (hooks and dials: the two halves
#            of webhooks)
#
# Times are wall-clock medians of several runs (date +%s%N around the
# command); peak RSS is /usr/bin/time -f %M of the same runs, the largest.
# "Cold" means no derived state of a previous tick (a fresh copy of the
# repository); the OS page cache is warm in every run.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
# the operator's settings (SECURITY.md): the fakes' env: names and hosts
export GITDIAL_ENV_ALLOW=GITDIAL_,TWILIO_,TELNYX_,WHATSAPP_,SIP_,TW_
export GITDIAL_ALLOWED_HOSTS=127.0.0.1
BIN=$ROOT/build/bin
BB=$ROOT/build/bench

QUICK=0 KEEP=0 ONLY=
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1 ;;
	--keep) KEEP=1 ;;
	--only) ONLY=${2:-}; shift ;;
	-h|--help) sed -n '2,22p' "$0"; exit 0 ;;
	*) echo "bench: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

die() { echo "bench: $*" >&2; exit 1; }

[ -x "$BIN/gitdial" ] || die "no $BIN/gitdial (run ./build.sh bench, or make)"
[ -x "$BIN/gitdial-sim" ] || die "no $BIN/gitdial-sim"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"
command -v git >/dev/null || die "git is missing"
command -v gzip >/dev/null || die "gzip is missing"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || die "python3 is missing"

if [ "$QUICK" = 1 ]; then
	ROWS=100000 EVENTS=200000 FILES=50 FLAT_FILES=1000 MORE=100 HOOKS=500 HOOK_RUNS=3
	INGEST_N=500 IRUNS=1
	VRUNS=5 TRUNS=3 FRUNS=5 SIZE=" (quick, 1/10)"
	SH_CAMPS=8 SH_ROWS=2500 SH_ROUNDS=20 SH_SIZE=" (quick: 8 campaigns of 2,500)"
	MO_PER_DAY=1000 MO_FRUNS=3 MO_SIZE=" (quick: 1,000 calls a day)"
else
	ROWS=1000000 EVENTS=2000000 FILES=500 FLAT_FILES=10000 MORE=100 HOOKS=5000 HOOK_RUNS=1
	INGEST_N=5000 IRUNS=3
	VRUNS=5 TRUNS=3 FRUNS=5 SIZE=
	SH_CAMPS=40 SH_ROWS=25000 SH_ROUNDS=60 SH_SIZE=
	MO_PER_DAY=10000 MO_FRUNS=1 MO_SIZE=
fi
FLAT_ROWS=5000 FLAT_DIALED=4000 FLAT_FEW_DIALED=100 FLAT_FEW_FILES=10
ID=nov-reminders
NOW=2026-11-24T15:00:00Z   # a Tuesday, 10:00 in New York
NEXT=2026-11-24T15:01:00Z
SH_T0=2026-11-24T14:00:00Z SH_T0_EPOCH=1795528800 # 09:00 in New York and Miami

mkdir -p "$BB"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gitdial-bench.XXXXXX") || die "mktemp"
BG_PIDS=() # servers started here (the fake Twilio, lighttpd), stopped by PID
cleanup() {
	local p
	for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	[ "$KEEP" = 1 ] && echo "bench: work directory kept: $WORK" >&2 || rm -rf "$WORK"; }
trap cleanup EXIT
log() { echo "bench: $*" >&2; }

# ---- generators -------------------------------------------------------
cc -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -o "$BB/gen" tests/bench/gen.c ||
	die "cannot build tests/bench/gen.c"
cc -O2 -std=c11 -Wall -Wextra -o "$BB/csvfloor" tests/bench/csvfloor.c -lcsv ||
	die "cannot build tests/bench/csvfloor.c (libcsv-dev?)"
cc -O2 -std=c11 -Wall -Wextra -static -o "$BB/cgifloor" tests/bench/cgifloor.c ||
	die "cannot build tests/bench/cgifloor.c"

GIT=(git -c user.name=bench -c user.email=bench@example.invalid
     -c commit.gpgsign=false -c core.autocrlf=false -c gc.auto=0)

# ---- measuring --------------------------------------------------------
# measure CMD...: runs it once; sets M_MS (wall ms), M_CPU (user+sys ms,
# children included), M_KB (peak RSS), M_RC.
measure() {
	local t0 t1 last
	t0=$(date +%s%N)
	/usr/bin/time -f '%M %U %S' -o "$WORK/rss" "$@" >"$WORK/out" 2>"$WORK/err"
	M_RC=$?
	t1=$(date +%s%N)
	M_MS=$(( (t1 - t0) / 1000000 ))
	last=$(tail -n 1 "$WORK/rss" 2>/dev/null)
	M_KB=$(echo "$last" | awk '{print $1 + 0}')
	M_CPU=$(echo "$last" | awk '{printf "%d", ($2 + $3) * 1000}')
	if [ "$M_RC" != 0 ]; then
		log "exit $M_RC from: $*"
		sed 's/^/    /' "$WORK/err" | tail -n 5 >&2
	fi
}

median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print 0}'; }
maxof() { printf '%s\n' "$@" | sort -n | tail -n 1; }
fmt_s() { awk -v ms="$1" 'BEGIN { if (ms >= 1000) printf "%.2f s", ms/1000; else printf "%d ms", ms }'; }
fmt_runs() { local i; for i in "$@"; do printf '%s ' "$(fmt_s "$i")"; done | sed 's/ $//'; }
fmt_mb() { awk -v kb="$1" 'BEGIN { printf "%.0f MB", kb/1024 }'; }
num() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a/b; else print "-" }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }' && echo yes || echo no; }

ROWS_OUT=()
row() { ROWS_OUT+=("| $1 | $2 | $3 | $4 |"); }
# err FIGURE TARGET: a figure whose command failed
err() { row "$1" "$2" "error (exit $3)" "ERR"; }

# run_n N CMD...: N runs into RUN_MS, RUN_CPU, RUN_KB; FAILED=exit status
# of a failing run (0 when all ran).
run_n() {
	local n=$1 i; shift
	RUN_MS=() RUN_CPU=() RUN_KB=() FAILED=0
	for ((i = 0; i < n; i++)); do
		measure "$@"
		[ "$M_RC" = 0 ] || { FAILED=$M_RC; return; }
		RUN_MS+=("$M_MS") RUN_CPU+=("$M_CPU") RUN_KB+=("$M_KB")
	done
}

# "1.23 s (cpu 1.10 s)": the machine may be shared, CPU time says more then
wall_cpu() { echo "$(fmt_s "$1") (cpu $(fmt_s "$2"))"; }

set_json() { # set_json FILE PYTHON-STATEMENTS (c is the document)
	"$PY" - "$1" "$2" <<'EOF' || die "cannot edit $1"
import json, sys
p, code = sys.argv[1], sys.argv[2]
c = json.load(open(p, encoding="utf-8"))
exec(code)
open(p, "w", encoding="utf-8").write(json.dumps(c, indent=2, ensure_ascii=False) + "\n")
EOF
}

# The campaign Dialing since 2026-11-02, 10 calls a tick; the account's
# pacing at 1000 calls/s so that placing 10 calls costs the runner, not the
# template's 50 calls/s (which alone spaces 10 calls over 180 ms).
bench_config() { # bench_config DIR
	set_json "$1/campaigns/$ID/campaign.json" \
		'c["status"] = "scheduled"; c["start_at"] = "2026-11-02T09:00:00-05:00"; c["pacing"]["concurrency"] = 10'
	set_json "$1/gitdial.json" 'c["accounts"]["sim-main"]["cps"] = 1000'
}

init_repo() { # init_repo DIR
	"$BIN/gitdial" init "$1" >/dev/null 2>"$WORK/init.err" ||
		{ cat "$WORK/init.err" >&2; die "gitdial init $1 failed"; }
}

# ---- 1. validate ------------------------------------------------------
bench_validate() {
	local v=$WORK/validate vz=$WORK/validate-gz floor_ms floor_cpu ms cpu kb
	log "validate: generating $ROWS rows"
	init_repo "$v"
	"$BB/gen" audience "$v/campaigns/$ID/audience.csv" "$ROWS" 1 || die "gen audience"
	log "validate: audience.csv is $(du -m "$v/campaigns/$ID/audience.csv" | cut -f1) MB; gzip"
	init_repo "$vz"
	rm -f "$vz/campaigns/$ID/audience.csv"
	gzip -6 -c "$v/campaigns/$ID/audience.csv" >"$vz/campaigns/$ID/audience.csv.gz" || die gzip
	set_json "$vz/campaigns/$ID/campaign.json" 'c["audience"] = {"csv": "audience.csv.gz"}'

	run_n "$VRUNS" "$BB/csvfloor" "$v/campaigns/$ID/audience.csv"
	[ "$FAILED" = 0 ] || die "csvfloor failed"
	floor_ms=$(median "${RUN_MS[@]}") floor_cpu=$(median "${RUN_CPU[@]}")

	local kind dir
	for kind in csv csv.gz; do
		[ "$kind" = csv ] && dir=$v || dir=$vz
		log "validate: $kind, $VRUNS runs"
		measure "$BIN/gitdial" validate --repo "$dir" # warm the page cache
		run_n "$VRUNS" "$BIN/gitdial" validate --repo "$dir"
		if [ "$FAILED" != 0 ]; then
			err "validate $(num "$ROWS") rows ($kind) median" "≤ 1.0 s" "$FAILED"
			continue
		fi
		ms=$(median "${RUN_MS[@]}") cpu=$(median "${RUN_CPU[@]}") kb=$(maxof "${RUN_KB[@]}")
		row "validate $(num "$ROWS") rows ($kind) median$SIZE" "≤ 1.0 s" \
			"$(wall_cpu "$ms" "$cpu")" "$(le "$ms" 1000)"
		row "validate $(num "$ROWS") rows ($kind) peak RSS" "≤ 150 MB" "$(fmt_mb "$kb")" "$(le "$kb" $((150 * 1024)))"
		row "validate ($kind) / libcsv-only parse of the .csv ($(wall_cpu "$floor_ms" "$floor_cpu"))" \
			"report" "$(ratio "$ms" "$floor_ms")× (cpu $(ratio "$cpu" "$floor_cpu")×)" "-"
	done
	[ "$KEEP" = 1 ] || rm -rf "$v" "$vz"
}

# ---- 2. tick ------------------------------------------------------------
# make_tick_repo DIR: gitdial init + the big campaign and its history, committed.
make_tick_repo() {
	local d=$1
	init_repo "$d"
	rm -f "$d/campaigns/$ID/audience.csv"
	"$BB/gen" tick "$d" "$ROWS" "$EVENTS" "$FILES" "$ID" || die "gen tick"
	bench_config "$d"
	(cd "$d" && "${GIT[@]}" add -A && "${GIT[@]}" commit -qm "bench: campaign history") ||
		die "git commit of the history failed"
	# what a runner's clone holds: one pack
	(cd "$d" && "${GIT[@]}" repack -adq && "${GIT[@]}" prune) || die "git repack failed"
}

# blobs of the audience and the log, for the read-only floor
tick_blobs() {
	(cd "$1" && git ls-tree -r HEAD "campaigns/$ID/audience.csv" "outcomes/$ID" |
		awk '{print $3}')
}

bench_tick() {
	local t=$WORK/tick c=$WORK/tick-run i cold=() coldkb=() warm=() warmkb=()
	local coldcpu=() warmcpu=()
	local floor=() floorcpu=() ms kb fms fcpu cpu more_lines=0 dms= dcpu=
	log "tick: generating $ROWS recipients, $EVENTS events in $FILES files"
	make_tick_repo "$t"
	log "tick: repository: $(du -sm "$t/.git" | cut -f1) MB in .git"
	tick_blobs "$t" >"$WORK/blobs"
	for ((i = 0; i < TRUNS; i++)); do
		measure sh -c 'git -C "$1" cat-file --batch <"$2" >/dev/null' sh "$t" "$WORK/blobs"
		[ "$M_RC" = 0 ] && floor+=("$M_MS") floorcpu+=("$M_CPU")
	done
	for ((i = 0; i < TRUNS; i++)); do
		log "tick: run $((i + 1))/$TRUNS: cold tick, then a warm one"
		rm -rf "$c"
		cp -a "$t" "$c" || die "cp"
		# the copy's dirty pages would be written back during the tick
		sync
		measure "$BIN/gitdial" tick --repo "$c" --now "$NOW"
		if [ "$M_RC" != 0 ]; then
			err "cold tick ($(num "$ROWS") recipients, $(num "$EVENTS") events) median" "≤ 2.0 s" "$M_RC"
			rm -rf "$c"
			return
		fi
		[ "$i" = 0 ] && log "tick: $(head -n 1 "$WORK/out")"
		cold+=("$M_MS") coldkb+=("$M_KB") coldcpu+=("$M_CPU")
		grep -q '+10 dialed, 10 placed' "$WORK/out" ||
			log "tick: expected 10 calls placed, got: $(head -n 1 "$WORK/out")"
		# a concurrent runner's commit: a few hundred new events
		"$BB/gen" more "$c" "$ID" $((ROWS * 9 / 10 + i * 1000)) "$MORE" 2>"$WORK/more" ||
			die "gen more"
		more_lines=$(awk '{print $2}' "$WORK/more")
		(cd "$c" && "${GIT[@]}" add -A "outcomes/$ID" &&
			"${GIT[@]}" commit -qm "bench: another runner's events") || die "git commit (more)"
		sync
		measure "$BIN/gitdial" tick --repo "$c" --now "$NEXT"
		if [ "$M_RC" != 0 ]; then
			err "warm tick median" "≤ 150 ms" "$M_RC"
		else
			warm+=("$M_MS") warmkb+=("$M_KB") warmcpu+=("$M_CPU")
			[ "$i" = 0 ] && log "tick: $(head -n 1 "$WORK/out")"
		fi
		rm -rf "$c"
	done
	# the same log stored as delta chains, as a pack made without the
	# template's .gitattributes (outcomes/** -delta) would hold it
	rm -rf "$c"
	cp -a "$t" "$c" || die "cp"
	log "tick: the log repacked as deltas (info/attributes: outcomes/** delta)"
	mkdir -p "$c/.git/info"
	printf 'outcomes/** delta\n' >>"$c/.git/info/attributes"
	(cd "$c" && "${GIT[@]}" repack -adfq) || die "git repack (deltas)"
	sync
	measure "$BIN/gitdial" tick --repo "$c" --now "$NOW"
	[ "$M_RC" = 0 ] && dms=$M_MS dcpu=$M_CPU
	rm -rf "$c"
	ms=$(median "${cold[@]}") cpu=$(median "${coldcpu[@]}") kb=$(maxof "${coldkb[@]}")
	row "cold tick, $(num "$ROWS") recipients, $(num "$EVENTS") events, median$SIZE" "≤ 2.0 s" \
		"$(wall_cpu "$ms" "$cpu")" "$(le "$ms" 2000)"
	[ -n "${dms:-}" ] &&
		row "the same cold tick with the log packed as delta chains (no .gitattributes), one run" \
			"report" "$(wall_cpu "$dms" "$dcpu")" "-"
	row "cold tick peak RSS" "≤ 300 MB" "$(fmt_mb "$kb")" "$(le "$kb" $((300 * 1024)))"
	if [ ${#floor[@]} -gt 0 ]; then
		fms=$(median "${floor[@]}") fcpu=$(median "${floorcpu[@]}")
		row "cold tick / reading the audience + log blobs (git cat-file --batch: $(wall_cpu "$fms" "$fcpu"))" \
			"report" "$(ratio "$ms" "$fms")× (cpu $(ratio "$cpu" "$fcpu")×)" "-"
	fi
	if [ ${#warm[@]} -gt 0 ]; then
		ms=$(median "${warm[@]}") kb=$(maxof "${warmkb[@]}")
		row "warm tick (a minute later, +$more_lines events from another runner) median" "≤ 150 ms" \
			"$(wall_cpu "$ms" "$(median "${warmcpu[@]}")")" "$(le "$ms" 150)"
		row "warm tick peak RSS" "report" "$(fmt_mb "$kb")" "-"
	fi
	[ "$KEEP" = 1 ] || rm -rf "$t"
}

# ---- 2c. audit ------------------------------------------------------------
# gitdial audit of the tick figures' repository (the same generator, sizes
# and campaign), its history committed under the runner's identity so that
# every event is judged as a runner's, not only flagged as written by hand.
# The generator dials on Sundays, which the campaign window excludes: those
# are findings (exit 1), counted and reported; both 0 and 1 are a run.
bench_audit() {
	local d=$WORK/audit i ms=() cpu=() kb=() got
	log "audit: generating $ROWS recipients, $EVENTS events in $FILES files"
	init_repo "$d"
	rm -f "$d/campaigns/$ID/audience.csv"
	"$BB/gen" tick "$d" "$ROWS" "$EVENTS" "$FILES" "$ID" 2>/dev/null || die "gen tick"
	bench_config "$d"
	(cd "$d" && "${GIT[@]}" add -A &&
		"${GIT[@]}" -c user.name="gitdial runner" -c user.email=runner@gitdial.invalid \
			commit -qm "bench: campaign history") || die "git commit of the history failed"
	(cd "$d" && "${GIT[@]}" repack -adq && "${GIT[@]}" prune) || die "git repack failed"
	for ((i = 0; i < TRUNS; i++)); do
		log "audit: run $((i + 1))/$TRUNS"
		measure sh -c '"$1" audit --repo "$2" --format json; [ $? -le 1 ]' sh "$BIN/gitdial" "$d"
		if [ "$M_RC" != 0 ]; then
			err "audit ($(num "$ROWS") recipients, $(num "$EVENTS") events) median" "≤ 5.0 s" "$M_RC"
			[ "$KEEP" = 1 ] || rm -rf "$d"
			return
		fi
		ms+=("$M_MS") cpu+=("$M_CPU") kb+=("$M_KB")
	done
	got=$("$PY" -c 'import json, sys
a = json.load(open(sys.argv[1]))
print("%d lines in %d commits, %d findings (%s)" % (a["range"]["lines"], a["range"]["commits"],
      a["findings_total"], ", ".join("%s %d" % (c["name"], c["findings"]) for c in a["checks"] if c["findings"]) or "none"))' \
		"$WORK/out" 2>/dev/null) || got="unreadable JSON"
	row "gitdial audit, $(num "$ROWS") recipients, $(num "$EVENTS") events, whole history, median$SIZE" "≤ 5.0 s" \
		"$(wall_cpu "$(median "${ms[@]}")" "$(median "${cpu[@]}")")" "$(le "$(median "${ms[@]}")" 5000)"
	row "gitdial audit peak RSS" "≤ 300 MB" "$(fmt_mb "$(maxof "${kb[@]}")")" \
		"$(le "$(maxof "${kb[@]}")" $((300 * 1024)))"
	row "gitdial audit: what it read and found" "report" "$got" "-"
	[ "$KEEP" = 1 ] || rm -rf "$d"
}

# ---- 2b. flatness -----------------------------------------------------
make_flat_repo() { # DIR DIALED FILES RETRIES
	local d=$1
	init_repo "$d"
	rm -f "$d/campaigns/$ID/audience.csv"
	"$BB/gen" flat "$d" "$FLAT_ROWS" "$2" "$3" "$ID" "$4" 2>/dev/null || die "gen flat"
	bench_config "$d"
	(cd "$d" && "${GIT[@]}" add -A && "${GIT[@]}" commit -qm "bench: history" &&
		"${GIT[@]}" repack -adq && "${GIT[@]}" prune) || die "git commit (flat)"
}

# flat_ticks DIR: FRUNS fresh copies; COLD/WARM medians in FL_COLD/FL_WARM
flat_ticks() {
	local d=$1 c=$WORK/flat-run i cold=() warm=() ccpu=() wcpu=()
	FL_COLD=0 FL_WARM=0 FL_RC=0
	for ((i = 0; i < FRUNS; i++)); do
		rm -rf "$c"
		cp -a "$d" "$c" || die cp
		sync # as in bench_tick: no writeback of the copy during the tick
		measure "$BIN/gitdial" tick --repo "$c" --now "$NOW"
		[ "$M_RC" = 0 ] || { FL_RC=$M_RC; rm -rf "$c"; return; }
		cold+=("$M_MS") ccpu+=("$M_CPU")
		sync
		measure "$BIN/gitdial" tick --repo "$c" --now "$NEXT"
		[ "$M_RC" = 0 ] || { FL_RC=$M_RC; rm -rf "$c"; return; }
		warm+=("$M_MS") wcpu+=("$M_CPU")
		rm -rf "$c"
	done
	FL_COLD=$(median "${cold[@]}") FL_WARM=$(median "${warm[@]}")
	FL_CCPU=$(median "${ccpu[@]}") FL_WCPU=$(median "${wcpu[@]}")
}

bench_flat() {
	local few=$WORK/flat-few many=$WORK/flat-many c10 w10 cN wN cc10 wc10
	log "flatness: $FLAT_ROWS recipients, $FLAT_FEW_FILES vs $FLAT_FILES log files"
	make_flat_repo "$few" "$FLAT_FEW_DIALED" "$FLAT_FEW_FILES" 0
	make_flat_repo "$many" "$FLAT_DIALED" "$FLAT_FILES" 1
	flat_ticks "$few"
	[ "$FL_RC" = 0 ] || { err "tick $FLAT_FILES vs $FLAT_FEW_FILES" "≤ 1.25×" "$FL_RC"; return; }
	c10=$FL_COLD w10=$FL_WARM cc10=$FL_CCPU wc10=$FL_WCPU
	flat_ticks "$many"
	[ "$FL_RC" = 0 ] || { err "tick $FLAT_FILES vs $FLAT_FEW_FILES" "≤ 1.25×" "$FL_RC"; return; }
	cN=$FL_COLD wN=$FL_WARM
	row "flatness: tick after $(num "$FLAT_FILES") ticks / after $FLAT_FEW_FILES, $(num "$FLAT_ROWS") recipients (next tick: $(fmt_s "$wN") vs $(fmt_s "$w10"))" \
		"≤ 1.25×" "$(ratio "$wN" "$w10")× (cpu $(ratio "$FL_WCPU" "$wc10")×)" \
		"$(le "$(ratio "$wN" "$w10")" 1.25)"
	# A first tick with no cache replays the whole log by definition (the
	# cold tick has its own target above): reported, not judged.
	row "flatness, first tick of a fresh copy, no cache: it replays the whole log ($(fmt_s "$cN") vs $(fmt_s "$c10"))" \
		"report" "$(ratio "$cN" "$c10")× (cpu $(ratio "$FL_CCPU" "$cc10")×)" "-"
	# The same in bare clones, as the README has runners: no index of
	# every file for libgit2 to read and write at each commit. Reported
	# beside the checkout, which stays the figure judged.
	git clone -q --bare "$few" "$few.git" && git clone -q --bare "$many" "$many.git" ||
		die "git clone --bare (flat)"
	flat_ticks "$few.git"
	[ "$FL_RC" = 0 ] || { err "tick $FLAT_FILES vs $FLAT_FEW_FILES, bare" "report" "$FL_RC"; return; }
	w10=$FL_WARM wc10=$FL_WCPU
	flat_ticks "$many.git"
	[ "$FL_RC" = 0 ] || { err "tick $FLAT_FILES vs $FLAT_FEW_FILES, bare" "report" "$FL_RC"; return; }
	wN=$FL_WARM
	row "flatness, the same next tick in a bare clone ($(fmt_s "$wN") vs $(fmt_s "$w10"))" \
		"report" "$(ratio "$wN" "$w10")× (cpu $(ratio "$FL_WCPU" "$wc10")×)" "-"
	[ "$KEEP" = 1 ] || rm -rf "$few" "$many" "$few.git" "$many.git"
}

# ---- 3. webhooks and dials ----------------------------------------------
# Twilio's status callbacks through lighttpd running gitdial-twilio as CGI
# and as FastCGI (as tests/fake/lib-web.sh sets them up), then one tick
# ingesting them; and
# 200 gitdial-twilio dial processes, 50 at once, against the fake Twilio
# answering every request after 150 ms. Both servers on 127.0.0.1.
WH_SID=AC0123456789abcdef0123456789abcdef
WH_TOKEN=tw-bench-token-9c2e
WH_PUB=https://hooks.example.com/gd
WH_ID=hooks
WH_NOW=2026-11-24T03:00:00Z # 22:00 in New York: the window is closed, no dials
DIALS=200 DIAL_P=50 DIAL_LAT=150

wh_wait() { # wh_wait CMD...: until it succeeds (5 s at most)
	local i
	for i in $(seq 200); do "$@" >/dev/null 2>&1 && return 0; sleep 0.025; done
	return 1
}
wh_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wh_stop() { # wh_stop PID: one server started here
	kill "$1" 2>/dev/null && wait "$1" 2>/dev/null
}

# wh_lighttpd DIR REPO SPOOL cgi|fastcgi|floor: sets WH_URL, WH_LPID.
# /twilio is gitdial-twilio as CGI, or through mod_fastcgi (bin-path,
# WH_PROCS processes), or the do-nothing static CGI (cgifloor).
wh_lighttpd() {
	local d=$1 try port env
	mkdir -p "$d/www"
	env="\"GITDIAL_REPO\" => \"$2\", \"GITDIAL_SPOOL\" => \"$3\",
     \"TW_SID\" => \"$WH_SID\", \"TW_TOKEN\" => \"$WH_TOKEN\",
     \"GITDIAL_ENV_ALLOW\" => \"$GITDIAL_ENV_ALLOW\",
     \"GITDIAL_ALLOWED_HOSTS\" => \"$GITDIAL_ALLOWED_HOSTS\""
	for try in 1 2 3; do
		port=$(wh_port)
		cat >"$d/lighttpd.conf" <<EOF
server.document-root = "$d/www"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$d/lighttpd.err"
server.max-keep-alive-requests = 10000
EOF
		case $4 in
		fastcgi) cat >>"$d/lighttpd.conf" <<EOF
server.modules += ( "mod_fastcgi" )
fastcgi.server = ( "/twilio" => (( "socket" => "$d/fcgi.sock",
                   "bin-path" => "$BIN/gitdial-twilio", "max-procs" => $WH_PROCS,
                   "check-local" => "disable", "bin-environment" => ( $env ) )) )
EOF
		;;
		*) cat >>"$d/lighttpd.conf" <<EOF
server.modules += ( "mod_alias", "mod_setenv", "mod_cgi" )
alias.url = ( "/twilio" => "$([ "$4" = floor ] && echo "$BB/cgifloor" || echo "$BIN/gitdial-twilio")" )
cgi.assign = ( "" => "" )
setenv.set-environment = ( $env )
EOF
		;;
		esac
		/usr/sbin/lighttpd -D -f "$d/lighttpd.conf" >>"$d/lighttpd.out" 2>&1 &
		WH_LPID=$!
		BG_PIDS+=("$WH_LPID")
		WH_URL=http://127.0.0.1:$port
		wh_wait curl -s -o /dev/null "$WH_URL/" && return 0
		wh_stop "$WH_LPID"
	done
	cat "$d/lighttpd.err" "$d/lighttpd.out" >&2 2>/dev/null
	return 1
}

# wh_fake DIR: the fake Twilio; sets WH_API, WH_FPID
wh_fake() {
	rm -f "$1/fake.port"
	"$PY" "$ROOT/tests/fake/fakeprov.py" --provider twilio --port-file "$1/fake.port" \
		--account-sid "$WH_SID" --auth-token "$WH_TOKEN" >"$1/fake.log" 2>&1 &
	WH_FPID=$!
	BG_PIDS+=("$WH_FPID")
	wh_wait test -s "$1/fake.port" || return 1
	WH_API=http://127.0.0.1:$(cat "$1/fake.port")
}
wh_ctl() { curl -sS -X POST -H 'Content-Type: application/json' --data "$3" "$1$2"; }
wh_creates() {
	curl -sS "$WH_API/_control/requests" | "$PY" -c \
		'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r["op"]=="create"))'
}

# The same 5,000 signed Twilio callbacks, 8 clients, through lighttpd
# three ways: gitdial-twilio as CGI (a process a delivery), as FastCGI
# (WH_PROCS long-lived processes, 4 unless set: twice the 2 cores, so
# that while one waits on its fsyncs the others keep the CPUs busy; on
# 2 cores, 2,000 deliveries: 2 ~400/s, 4 ~640/s, 8 ~620-720/s), and
# the floor, a static do-nothing CGI (what CGI itself costs here).
WH_PROCS=${WH_PROCS:-4}

bench_hooks() {
	local d=$WORK/hooks
	mkdir -p "$d" || return
	if ! "$PY" "$ROOT/tests/bench/webhooks.py" repo "$d/repo0" "$WH_ID" "$HOOKS" "$WH_SID" \
		"http://127.0.0.1:9" "$WH_PUB/" ||
		! (cd "$d/repo0" && "${GIT[@]}" init -q && "${GIT[@]}" add -A &&
		   "${GIT[@]}" commit -qm "bench: $HOOKS calls placed"); then
		err "webhooks" "≥ 500/s" 1; return
	fi
	hooks_via cgi "via lighttpd CGI"
	hooks_via fastcgi "via lighttpd FastCGI ($WH_PROCS processes)"
	hooks_via floor "via lighttpd CGI to a static do-nothing program (the floor: no gitdial)"
	[ "$KEEP" = 1 ] || rm -rf "$d"
}

# hooks_via cgi|fastcgi|floor WHAT: the load, the figures, and (but for the
# floor) the spool count and one tick on a fresh copy of the repository.
hooks_via() {
	local kind=$1 d=$WORK/hooks/$1 repo spool i res sent ok wall rate p50 p99 seen n
	local rates=() p99s=() lost=0 badrun="" f1="$(num "$HOOKS") signed Twilio callbacks $2, 8 clients"
	local target="≥ 500/s"
	[ "$kind" = floor ] && target="report"
	repo=$d/repo spool=$d/repo/.git/gitdial/spool
	mkdir -p "$d" && cp -a "$WORK/hooks/repo0" "$repo" && mkdir -p "$spool" ||
		{ err "$f1" "$target" "copy"; return; }
	log "webhooks: $HOOKS deliveries $2"
	if ! wh_lighttpd "$d" "$repo" "$spool" "$kind"; then
		err "$f1" "$target" "lighttpd"; return
	fi
	for i in $(seq 20); do curl -s -o /dev/null "$WH_URL/twilio"; done # warm: 405s
	# 5,000 CGI processes take minutes on a slow machine: one run at full
	# size (the figure), three with --quick
	for ((i = 1; i <= HOOK_RUNS; i++)); do
		# a fresh spool each run; the last one is left for the tick
		[ "$i" = 1 ] || { rm -rf "$spool" && mkdir -p "$spool"; }
		log "webhooks: $kind run $i/$HOOK_RUNS: $HOOKS deliveries"
		"$PY" "$ROOT/tests/bench/webhooks.py" load "$WH_URL" "$WH_TOKEN" "$WH_PUB" "$WH_SID" \
			"$repo/.bench-calls.tsv" 8 "$d/load.$i" || { err "$f1" "$target" "client"; break; }
		read -r sent ok wall rate p50 p99 seen <"$d/load.$i"
		n=$(find "$spool" -maxdepth 1 -name '*.json' -type f | wc -l)
		log "webhooks: $kind run $i: $ok/$sent 2xx in $wall ms ($rate/s), p50 $p50 ms, p99 $p99 ms, statuses $seen, $n in the spool"
		rates+=("$rate") p99s+=("$p99")
		[ "$kind" = floor ] && n=$HOOKS
		[ "$ok" = "$HOOKS" ] && [ "$n" = "$HOOKS" ] ||
			{ lost=1; badrun="$badrun run $i: $ok of $sent 2xx ($seen), $n spooled;"; }
	done
	wh_stop "$WH_LPID"
	if [ ${#rates[@]} -gt 0 ]; then
		rate=$(median "${rates[@]}")
		row "$f1, accepted/s, median of ${#rates[@]}$SIZE" "$target" \
			"$(printf '%.0f/s' "$rate") (runs: $(printf '%.0f ' "${rates[@]}" | sed 's/ $//'))" \
			"$([ "$kind" = floor ] && echo - || le 500 "$rate")"
		row "... p99 latency (median of ${#p99s[@]})" "report" \
			"$(printf '%.0f ms' "$(median "${p99s[@]}")") (p50 $(printf '%.0f' "$p50") ms, last run)" "-"
		if [ "$kind" = floor ]; then
			[ "$lost" = 0 ] || row "... not every one answered 204" "-" "${badrun% ;}" "ERR"
		elif [ "$lost" = 0 ]; then
			row "... lost: every one 2xx and in the spool ($(num "$HOOKS") files, each run)" "0" "0" "yes"
		else
			row "... lost: every one 2xx and in the spool" "0" "${badrun% ;}" "no"
		fi
	fi
	if grep -qiE 'sanitizer|signal|abort|died' "$d/lighttpd.err" 2>/dev/null; then
		log "webhooks: lighttpd logged a backend crash:"; tail -n 5 "$d/lighttpd.err" >&2
	fi
	[ "$kind" = floor ] && return

	# one tick ingests the last run's spool
	log "webhooks: one tick over $(find "$spool" -maxdepth 1 -name '*.json' | wc -l) spooled events"
	TW_SID=$WH_SID TW_TOKEN=$WH_TOKEN measure "$BIN/gitdial" tick --repo "$repo" --now "$WH_NOW"
	if [ "$M_RC" != 0 ]; then
		err "... lost or doubled after one tick" "0" "$M_RC"
	else
		log "webhooks: tick: $(head -n 1 "$WORK/out")"
		res=$("$PY" "$ROOT/tests/bench/webhooks.py" check "$repo" "$WH_ID" "$repo/.bench-calls.tsv")
		read -r lost n <<<"$res"
		if [ -z "$n" ]; then
			row "... lost or doubled after one tick" "0" "check failed" "ERR"
		else
			row "... lost or doubled after one tick ($(num "$HOOKS") outcomes in the log; the tick: $(wall_cpu "$M_MS" "$M_CPU"))" \
				"0" "$lost lost, $n doubled" "$([ "$lost" = 0 ] && [ "$n" = 0 ] && echo yes || echo no)"
		fi
	fi
}

# bench_dials: the issue's dial figure ($DIALS dials, $DIAL_P at once,
# the fake Twilio adding $DIAL_LAT ms to every request), three ways:
# (a) one gitdial-twilio in batch mode, as the runner runs it, fed by a
# small driver; (b) a whole `gitdial tick` dialing a campaign of $DIALS
# recipients (claim commit, the batch, the placed commit); (c) for
# comparison, the old way: one gitdial-twilio process per dial.
bench_dials() {
	local d=$WORK/dials i c0 c1 ms=() cr=() cpu=() tms=() tcpu=() tcr=() bad=0 tbad=0 good
	local f2="$DIALS dials, $DIAL_P at once, fake Twilio at $DIAL_LAT ms a request"
	mkdir -p "$d/spool" || return
	log "dials: $DIALS dials through one gitdial-twilio --batch --parallel $DIAL_P, $DIAL_LAT ms a request"
	wh_fake "$d" || { err "$f2" "≤ 1.5 s" "fake"; return; }
	wh_ctl "$WH_API" /_control/config '{"caller_ids":["+14155550100"],
		"deliver":{"https://hooks.example.com/gd":"http://127.0.0.1:9"}}' >/dev/null &&
	wh_ctl "$WH_API" /_control/faults '{"latency_ms":'"$DIAL_LAT"'}' >/dev/null ||
		{ err "$f2" "≤ 1.5 s" "fake"; wh_stop "$WH_FPID"; return; }
	for i in 1 2 3 4; do
		"$PY" "$ROOT/tests/bench/webhooks.py" dialreqs "$d/req.$i" "$DIALS" "$WH_API" "$i" ||
			{ err "$f2" "≤ 1.5 s" "requests"; wh_stop "$WH_FPID"; return; }
	done
	# (a) the function in batch mode
	for i in 1 2 3; do
		c0=$(wh_creates)
		measure env TW_SID="$WH_SID" TW_TOKEN="$WH_TOKEN" GITDIAL_SPOOL="$d/spool" \
			"$PY" "$ROOT/tests/bench/webhooks.py" dialbatch "$BIN/gitdial-twilio" \
			"$d/req.$i" "$DIAL_P" "$d/wall.$i"
		[ "$M_RC" = 0 ] && read -r M_MS _ <"$d/wall.$i"
		c1=$(wh_creates)
		good=$(cat "$d/req.$i"/*.out 2>/dev/null | grep -c '"ok":true')
		log "dials: batch run $i: $(fmt_s "$M_MS") (cpu $(fmt_s "$M_CPU")), $good ok, $((c1 - c0)) calls created"
		ms+=("$M_MS") cr+=("$((c1 - c0))") cpu+=("$M_CPU")
		[ "$M_RC" = 0 ] && [ "$good" = "$DIALS" ] || bad=1
	done
	if [ "$bad" != 0 ]; then
		row "$f2: one function process in batch mode, wall median of 3" "≤ 1.5 s" \
			"$(fmt_s "$(median "${ms[@]}")"); not every dial ok" "ERR"
	else
		row "$f2: one function process in batch mode, wall median of 3" "≤ 1.5 s" \
			"$(wall_cpu "$(median "${ms[@]}")" "$(median "${cpu[@]}")") (runs: $(fmt_runs "${ms[@]}"))" \
			"$(le "$(median "${ms[@]}")" 1500)"
	fi
	row "calls the fake Twilio created per batch of $DIALS dials" "$DIALS" "${cr[*]}" \
		"$([ "${cr[0]}" = "$DIALS" ] && [ "${cr[1]}" = "$DIALS" ] && [ "${cr[2]}" = "$DIALS" ] && echo yes || echo no)"
	# (b) a whole tick: a campaign of $DIALS recipients, all dialed at once
	log "dials: a gitdial tick dialing a campaign of $DIALS recipients, $DIAL_LAT ms a request"
	for i in 1 2 3; do
		rm -rf "$d/repo.$i"
		if ! "$PY" "$ROOT/tests/bench/webhooks.py" dialrepo "$d/repo.$i" dials "$DIALS" "$WH_API" "$i" ||
			! (cd "$d/repo.$i" && "${GIT[@]}" init -q && "${GIT[@]}" add -A &&
			   "${GIT[@]}" commit -qm "bench: a campaign of $DIALS"); then
			tbad=1; continue
		fi
		c0=$(wh_creates)
		measure env TW_SID="$WH_SID" TW_TOKEN="$WH_TOKEN" \
			"$BIN/gitdial" tick --repo "$d/repo.$i" --now "$NOW"
		c1=$(wh_creates)
		log "dials: tick run $i: $(fmt_s "$M_MS") (cpu $(fmt_s "$M_CPU")): $(head -n 1 "$WORK/out")"
		tms+=("$M_MS") tcpu+=("$M_CPU") tcr+=("$((c1 - c0))")
		[ "$M_RC" = 0 ] && grep -q "+$DIALS dialed, $DIALS placed" "$WORK/out" || tbad=1
	done
	if [ "$tbad" != 0 ]; then
		row "$f2: a whole gitdial tick, wall median of 3" "≤ 1.5 s" \
			"$(fmt_s "$(median "${tms[@]}")"); not every dial placed (creates: ${tcr[*]})" "ERR"
	else
		row "$f2: a whole gitdial tick (claim commit, dials, placed commit), wall median of 3" "≤ 1.5 s" \
			"$(wall_cpu "$(median "${tms[@]}")" "$(median "${tcpu[@]}")") (runs: $(fmt_runs "${tms[@]}"); creates ${tcr[*]})" \
			"$(le "$(median "${tms[@]}")" 1500)"
	fi
	# (c) the old way, once, for comparison
	log "dials: for comparison, $DIALS gitdial-twilio dial processes, $DIAL_P at once"
	measure env TW_SID="$WH_SID" TW_TOKEN="$WH_TOKEN" GITDIAL_SPOOL="$d/spool" \
		"$PY" "$ROOT/tests/bench/webhooks.py" dialrun "$BIN/gitdial-twilio" \
		"$d/req.4" "$DIAL_P" "$d/wall.4"
	[ "$M_RC" = 0 ] && read -r M_MS _ <"$d/wall.4"
	good=$(cat "$d/req.4"/*.out 2>/dev/null | grep -c '"ok":true')
	row "the same $DIALS dials as one process per dial (before batch mode), one run" "report" \
		"$(wall_cpu "$M_MS" "$M_CPU"), $good ok" "-"
	wh_stop "$WH_FPID"
	[ "$KEEP" = 1 ] || rm -rf "$d"
}

bench_webhooks() {
	[ -x "$BIN/gitdial-twilio" ] || { err "webhooks" "-" "no $BIN/gitdial-twilio"; return; }
	[ -x /usr/sbin/lighttpd ] || { err "webhooks" "-" "no /usr/sbin/lighttpd"; return; }
	command -v curl >/dev/null || { err "webhooks" "-" "no curl"; return; }
	bench_exec_floor
	bench_hooks
	bench_dials
}

# What every CGI request and every dial pays before any work: starting
# gitdial-twilio (exec, the dynamic loader with libcurl's libraries, exit),
# against /bin/true, 50 sequential runs each.
bench_exec_floor() {
	local b t0 t1 i per=()
	for b in /bin/true "$BIN/gitdial-twilio"; do
		"$b" </dev/null >/dev/null 2>&1
		t0=$(date +%s%N)
		for ((i = 0; i < 50; i++)); do "$b" </dev/null >/dev/null 2>&1; done
		t1=$(date +%s%N)
		per+=("$(( (t1 - t0) / 50000 ))")
	done
	row "start + exit of gitdial-twilio, no request (the floor of a CGI request or a dial; /bin/true: $(awk -v u="${per[0]}" 'BEGIN{printf "%.1f", u/1000}') ms)" \
		"report" "$(awk -v u="${per[1]}" 'BEGIN{printf "%.1f ms", u/1000}')" "-"
}

# ---- 5. the webhook host's ingest, over smart HTTP ----------------------
# The tick's 1M-recipient repository (make_tick_repo) served by git
# http-backend under lighttpd with basic auth; the webhook host's clone
# (credentials in the remote URL) has ingested once before (its state
# cache warm, as on a host that runs ingest every minute); then INGEST_N
# calls of the campaign are in flight (pushed by a runner) and the sim's
# webhooks for them are in the host's spool (gen inflight: an outcome
# each, an analysis for the connected ones). Measured: one
# `gitdial ingest --remote origin`, fetch to push; checked: the spool
# drained and the server's branch moved to an ingest commit.
bench_ingest() {
	local d=$WORK/ingest i ms=() cpu=() kb=() pub=() n_ev=0 subj port= url bad=0 t0 t1
	local f="ingest of $(num "$INGEST_N") calls' spooled events into a $(num "$ROWS")-recipient repository, over smart HTTP (fetch, commit, push)"
	[ -x /usr/sbin/lighttpd ] || { err "$f" "≤ 2.0 s" "no lighttpd"; return; }
	[ -x /usr/lib/git-core/git-http-backend ] || { err "$f" "≤ 2.0 s" "no git-http-backend"; return; }
	mkdir -p "$d/srv" "$d/www" || return
	log "ingest: generating $ROWS recipients, $EVENTS events in $FILES files"
	make_tick_repo "$d/seed"
	git clone -q --bare "$d/seed" "$d/pristine.git" || die "clone --bare"
	git -C "$d/pristine.git" config http.receivepack true
	[ "$KEEP" = 1 ] || rm -rf "$d/seed"
	printf 'bench:bench-pw\n' >"$d/users"
	for i in 1 2 3; do
		port=$(wh_port)
		cat >"$d/lighttpd.conf" <<EOF
server.document-root = "$d/www"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$d/lighttpd.err"
server.modules += ( "mod_auth", "mod_authn_file", "mod_alias", "mod_setenv", "mod_cgi" )
auth.backend = "plain"
auth.backend.plain.userfile = "$d/users"
auth.require = ( "/git/" => ( "method" => "basic", "realm" => "git", "require" => "valid-user" ) )
alias.url = ( "/git/" => "/usr/lib/git-core/git-http-backend/" )
\$HTTP["url"] =~ "^/git/" {
	cgi.assign = ( "" => "" )
	setenv.set-environment = ( "GIT_PROJECT_ROOT" => "$d/srv", "GIT_HTTP_EXPORT_ALL" => "1",
	                           "PATH" => "/usr/bin:/bin" )
}
EOF
		/usr/sbin/lighttpd -D -f "$d/lighttpd.conf" >>"$d/lighttpd.out" 2>&1 &
		WH_LPID=$!
		BG_PIDS+=("$WH_LPID")
		wh_wait curl -s -o /dev/null "http://127.0.0.1:$port/" && break
		wh_stop "$WH_LPID"
		port=
	done
	[ -n "$port" ] || { err "$f" "≤ 2.0 s" "lighttpd"; return; }
	url=http://bench:bench-pw@127.0.0.1:$port/git/calls.git
	for ((i = 0; i < IRUNS; i++)); do
		rm -rf "$d/srv/calls.git" "$d/host" "$d/spool" "$d/mine"
		cp -a "$d/pristine.git" "$d/srv/calls.git" || die "cp"
		git clone -q "$url" "$d/host" || { err "$f" "≤ 2.0 s" "clone"; return; }
		mkdir -p "$d/spool"
		# the host's previous ingest (nothing spooled): its cache is warm
		"$BIN/gitdial" ingest --repo "$d/host" --remote origin --spool "$d/spool" \
			--now "$NEXT" >/dev/null 2>"$d/warm.err" ||
			{ cat "$d/warm.err" >&2; err "$f" "≤ 2.0 s" "warm-up ingest"; return; }
		# another runner placed INGEST_N calls (pushed); their webhooks came
		git clone -q "$url" "$d/mine" || die "clone"
		"$BB/gen" inflight "$d/mine" "$ID" $((ROWS * 9 / 10 + i * INGEST_N * 2)) "$INGEST_N" \
			"$d/spool" 2>"$d/gen.err" || die "gen inflight"
		(cd "$d/mine" && "${GIT[@]}" add -A "outcomes/$ID" &&
			"${GIT[@]}" commit -qm "bench: $INGEST_N calls placed by a runner" &&
			"${GIT[@]}" push -q origin HEAD) || die "push (in flight)"
		n_ev=$(ls "$d/spool" | wc -l)
		[ "$i" = 0 ] && log "ingest: $(cat "$d/gen.err")"
		sync
		log "ingest: run $((i + 1)): load average $(cut -d' ' -f1-3 /proc/loadavg)"
		measure env GITDIAL_TRACE_PERF=1 "$BIN/gitdial" ingest --repo "$d/host" \
			--remote origin --spool "$d/spool" --now 2026-11-24T15:10:00Z
		if [ "$M_RC" != 0 ]; then
			err "$f" "≤ 2.0 s" "$M_RC"
			return
		fi
		[ "$i" = 0 ] && log "ingest: $(head -n 1 "$WORK/out")"
		ms+=("$M_MS") cpu+=("$M_CPU") kb+=("$M_KB")
		# the trace's "commit claim": the ingest commit pushed; what
		# follows is removing the spooled files
		pub+=("$(sed -n 's/^gitdial trace: commit claim .*(at \([0-9]*\)\.[0-9]* ms.*/\1/p' "$WORK/err")")
		subj=$(git -C "$d/srv/calls.git" log -1 --format=%s main)
		if [ "$(find "$d/spool" -maxdepth 1 -name '*.json' | wc -l)" != 0 ] ||
		   [ "${subj#ingest: }" = "$subj" ]; then
			bad=1
			log "ingest: run $((i + 1)): spool not drained or nothing pushed ($subj)"
		fi
	done
	row "$f, $(num "$n_ev") events, median of ${#ms[@]}$SIZE" "≤ 2.0 s" \
		"$(wall_cpu "$(median "${ms[@]}")" "$(median "${cpu[@]}")")" \
		"$([ "$bad" = 0 ] && le "$(median "${ms[@]}")" 2000 || echo ERR)"
	# what removing that many files costs this machine's file system
	mkdir -p "$d/unlink"
	for ((i = 0; i < n_ev; i++)); do echo x >"$d/unlink/$i.json"; done
	sync
	t0=$(date +%s%N)
	find "$d/unlink" -name '*.json' -delete
	t1=$(date +%s%N)
	row "... of which the ingest commit was pushed after (median; then the $(num "$n_ev") spooled files are moved to spool/.done/, which the next ingest empties beside its own work: rm of as many small files here takes $(fmt_s $(( (t1 - t0) / 1000000 ))))" \
		"report" "$(fmt_s "$(median "${pub[@]}")")" "-"
	row "ingest peak RSS" "report" "$(fmt_mb "$(maxof "${kb[@]}")")" "-"
	wh_stop "$WH_LPID"
	[ "$KEEP" = 1 ] || rm -rf "$d"
}

# ---- 6. slots kept full: tick --for ------------------------------------
# One `gitdial tick --for 60 --every 5` (real clock) of a sim campaign of
# concurrency FOR_CONC (the account's cps FOR_CPS), each dial taking 150
# ms at the sim (GITDIAL_SIM_LATENCY_MS), the sim's events spooled
# locally as its webhooks would be. Calls in flight are counted from the
# log afterwards, as the carrier has them: a call is in flight from its
# dispatch to its end (its outcome's time); the figure is the time
# average of that count from the first dispatch to the end of the run,
# against the concurrency. Recipients are +1 numbers of a US time zone
# where it is now between 09:00 and 19:00 (the legal window is open on
# the real clock).
FOR_CONC=20 FOR_CPS=10 FOR_S=60 FOR_EVERY=5 FOR_LAT=150
bench_for() {
	local d=$WORK/for h area t1 f avg n_disp n_out win
	f="tick --for ${FOR_S}s --every $FOR_EVERY, sim at $FOR_LAT ms a dial: calls in flight, time average / concurrency $FOR_CONC"
	h=$(date -u +%H); h=${h#0}
	if [ "$h" -ge 14 ] && [ "$h" -le 23 ]; then area=212   # New York, UTC-5
	elif [ "$h" -ge 19 ] || [ "$h" -le 4 ]; then area=808  # Honolulu, UTC-10
	else area=671; fi                                      # Guam, UTC+10
	init_repo "$d" || return
	rm -rf "$d/campaigns/"*
	mkdir -p "$d/campaigns/slots"
	"$PY" - "$d" "$area" "$FOR_CONC" <<'EOF' || { err "$f" "≥ 90%" "setup"; return; }
import json, sys
d, area, conc = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(d + "/campaigns/slots/audience.csv", "w") as f:
    f.write("phone,name\n")
    for i in range(5000):
        f.write("+1%s55%05d,Person %d\n" % (area, i, i))
json.dump({"name": "Slots", "status": "scheduled", "start_at": "2026-01-01T00:00:00Z",
           "account": "sim-main", "script": {"mode": "override", "text": "Hello {{name}}."},
           "audience": {"csv": "audience.csv"},
           "pacing": {"concurrency": conc, "retries": {"max": 0}}},
          open(d + "/campaigns/slots/campaign.json", "w"), indent=2)
EOF
	set_json "$d/gitdial.json" "c['accounts']['sim-main']['cps'] = $FOR_CPS; c['accounts']['sim-main']['max_concurrency'] = $FOR_CONC"
	(cd "$d" && "${GIT[@]}" add -A && "${GIT[@]}" commit -qm "bench: slots") || die "commit"
	log "for: $FOR_S s of ticks every $FOR_EVERY s, concurrency $FOR_CONC, +1 $area numbers"
	measure env GITDIAL_SIM_LATENCY_MS=$FOR_LAT "$BIN/gitdial" tick --repo "$d" \
		--for "$FOR_S" --every "$FOR_EVERY"
	t1=$(date +%s.%N)
	[ "$M_RC" = 0 ] || { err "$f" "≥ 90%" "$M_RC"; return; }
	log "for: $(tail -n 1 "$WORK/out")"
	git -C "$d" grep -h '' HEAD -- outcomes/slots >"$d/log.jsonl"
	"$PY" - "$d/log.jsonl" "$t1" >"$d/fig" <<'EOF' || { err "$f" "≥ 90%" "log"; return; }
import datetime, json, sys
path, t1 = sys.argv[1], float(sys.argv[2])
ts = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
    tzinfo=datetime.timezone.utc).timestamp()
start, end = {}, {}
for line in open(path):
    e = json.loads(line)
    a = e.get("attempt_id")
    if e["event"] == "dispatched":
        start[a] = ts(e["ts"])
    elif e["event"] == "outcome" and a:
        end[a] = ts(e["ts"])
w0 = min(start.values())  # the first tick's start, to the second
area = sum(max(0.0, min(end.get(a, t1), t1) - max(s, w0)) for a, s in start.items())
print("%.1f %d %d %.0f" % (area / (t1 - w0), len(start), len(end), t1 - w0))
EOF
	read -r avg n_disp n_out win <"$d/fig"
	row "$f (over $win s; $n_disp calls dialed, $n_out ended)" "≥ 90%" \
		"$avg of $FOR_CONC ($(awk -v a="$avg" -v c="$FOR_CONC" 'BEGIN{printf "%.0f%%", 100*a/c}'))" \
		"$(awk -v a="$avg" -v c="$FOR_CONC" 'BEGIN{print (a >= 0.9 * c) ? "yes" : "no"}')"
	[ "$KEEP" = 1 ] || rm -rf "$d"
}

# ---- 7. scale-out: shards racing through one smart-HTTP remote ---------
# SH_N runners, each `gitdial tick --shard I/SH_N --remote origin` on its
# own bare clone, through git http-backend under lighttpd with basic auth
# (tests/e2e/lib-smarthttp.sh), on a simulated clock: a round every SH_E
# simulated seconds, the SH_N ticks of a round started together (the
# worst case for the race: every round, every runner pushes against the
# same head) and awaited together. SH_CAMPS campaigns of SH_ROWS
# recipients, concurrency SH_CONC each, on the sim carrier (one carrier
# directory for every runner). Each audience starts with the same SH_SHARED
# Miami numbers (us-fl-cap: 3 calls in 24 h across every campaign), each
# campaign's block rotated, so the shards race for the shared numbers
# from the first round; the rest are numbers of the campaign's own.
# Figures: the wall time of each tick per shard (the first, a fresh
# clone's cold tick, apart), the claim rounds each tick lost to another
# runner (`claim_rounds_lost` of --format json), the calls in flight
# (time average, from the log: dispatch to outcome) against the sum of
# the campaigns' concurrency, dials per simulated minute, and
# `gitdial audit` of the remote's history afterwards.
SH_N=4 SH_CONC=10 SH_E=10 SH_SHARED=200
sh_setup() { # the seed repository DIR
	local d=$1
	init_repo "$d" || return 1
	rm -rf "$d/campaigns/"*
	"$PY" - "$d" "$SH_CAMPS" "$SH_ROWS" "$SH_CONC" "$SH_SHARED" "$SH_T0" <<'EOF' || return 1
import json, os, sys
d, camps, rows, conc, shared, t0 = sys.argv[1], *map(int, sys.argv[2:6]), sys.argv[6]
for k in range(camps):
    cid = "region-%02d" % (k + 1)
    os.makedirs("%s/campaigns/%s" % (d, cid))
    with open("%s/campaigns/%s/audience.csv" % (d, cid), "w") as f:
        f.write("phone,name\n")
        for i in range(rows):
            if i < shared:       # the shared Miami block, rotated
                f.write("+1305555%04d,Shared %d\n" % ((i + 7 * k) % shared, i))
            else:                # the campaign's own New York numbers
                n = k * rows + i
                f.write("+1212%03d%04d,Own %d\n" % (200 + n // 10000, n % 10000, i))
    json.dump({"name": "Region %d" % (k + 1), "status": "scheduled", "start_at": t0,
               "account": "sim-main",
               "script": {"mode": "override", "text": "Hello {{name}}."},
               "audience": {"csv": "audience.csv"},
               "pacing": {"concurrency": conc,
                          "retries": {"max": 1, "cooldown_minutes": 10,
                                      "on": ["no_answer", "busy"]}}},
              open("%s/campaigns/%s/campaign.json" % (d, cid), "w"), indent=2)
EOF
	set_json "$d/gitdial.json" "c['accounts']['sim-main']['cps'] = 1000; c['accounts']['sim-main']['max_concurrency'] = $((SH_CAMPS * SH_CONC))"
	(cd "$d" && "${GIT[@]}" add -A && "${GIT[@]}" commit -qm "bench: $SH_CAMPS campaigns") ||
		return 1
}

bench_shards() {
	local d=$WORK/shards s r now pids url f t_last camp_of fig
	local sum=$((SH_CAMPS * SH_CONC))
	f="$SH_N shards x $SH_CAMPS campaigns x $(num "$SH_ROWS") recipients through smart HTTP"
	[ -x /usr/sbin/lighttpd ] || { err "$f" "≤ 10 s" "no lighttpd"; return; }
	mkdir -p "$d" || return
	log "shards: $SH_CAMPS campaigns of $SH_ROWS recipients, $SH_N runners, $SH_ROUNDS rounds every $SH_E s (simulated)"
	sh_setup "$d/seed" || { err "$f" "≤ 10 s" "setup"; return; }
	TMP=$d # lib-smarthttp.sh's directory
	. "$ROOT/tests/e2e/lib-smarthttp.sh"
	PATH=$PATH:/usr/sbin smarthttp_start bench "sh-$$" || { err "$f" "≤ 10 s" "lighttpd"; return; }
	BG_PIDS+=("$SMARTHTTP_PID")
	git clone -q --bare "$d/seed" "$GITSRV_ROOT/calls.git" &&
		git -C "$GITSRV_ROOT/calls.git" config http.receivepack true || die "clone --bare"
	url="http://bench:sh-$$@${GITSRV_URL#http://}/calls.git"
	"$BIN/gitdial" list --repo "$d/seed" --shards "$SH_N" --format json >"$d/owners.json" ||
		die "gitdial list --shards"
	camp_of=$("$PY" -c 'import json, sys, collections
c = collections.Counter(r["shard"] for r in json.load(open(sys.argv[1])))
print(" ".join("%d" % c.get(i, 0) for i in range(int(sys.argv[2]))))' "$d/owners.json" "$SH_N")
	log "shards: campaigns per shard: $camp_of"
	for ((s = 0; s < SH_N; s++)); do
		git clone -q --bare "$url" "$d/r$s.git" || die "clone over smart HTTP"
		git -C "$d/r$s.git" config remote.origin.fetch '+refs/heads/*:refs/remotes/origin/*'
	done
	export GITDIAL_SIM_DIR=$d/carrier
	: >"$d/ticks"
	for ((r = 0; r < SH_ROUNDS; r++)); do
		now=$(TZ=UTC printf '%(%Y-%m-%dT%H:%M:%SZ)T' $((SH_T0_EPOCH + r * SH_E)))
		pids=()
		for ((s = 0; s < SH_N; s++)); do
			(
				t0=$(date +%s%N)
				/usr/bin/time -f '%U %S' -o "$d/cpu.$s.$r" \
				"$BIN/gitdial" tick --repo "$d/r$s.git" --remote origin --shard "$s/$SH_N" \
					--now "$now" --format json >"$d/out.$s.$r" 2>"$d/err.$s.$r"
				rc=$?
				t1=$(date +%s%N)
				echo "$s $r $(( (t1 - t0) / 1000000 )) $rc $(tail -n 1 "$d/cpu.$s.$r" |
					awk '{printf "%d", ($1 + $2) * 1000}')" >>"$d/ticks"
			) & pids+=($!)
		done
		wait "${pids[@]}"
		[ $((r % 10)) = 9 ] && log "shards: round $((r + 1))/$SH_ROUNDS, load $(cut -d' ' -f1 /proc/loadavg)"
	done
	unset GITDIAL_SIM_DIR
	t_last=$((SH_T0_EPOCH + (SH_ROUNDS - 1) * SH_E))
	git clone -q --bare "$GITSRV_ROOT/calls.git" "$d/check.git" || die "clone (check)"
	measure "$BIN/gitdial" audit --repo "$d/check.git" --format json
	cp "$WORK/out" "$d/audit.json"
	echo "$M_RC" >"$d/audit.rc"
	git -C "$d/check.git" grep -h -e '"dispatched"' -e '"outcome"' main -- outcomes >"$d/log.jsonl"
	"$PY" - "$d" "$SH_N" "$SH_ROUNDS" "$t_last" "$SH_T0_EPOCH" "$sum" "$camp_of" >"$d/rows" <<'EOF' ||
import datetime, json, statistics, sys
d, n, rounds, t_last, t0, conc = sys.argv[1], *map(int, sys.argv[2:7])
camps = sys.argv[7].split()
ts = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
    tzinfo=datetime.timezone.utc).timestamp()
ms, cpu, lost, bad = {}, {}, [], []
for line in open(d + "/ticks"):
    s, r, t, rc, c = map(int, line.split())
    ms.setdefault(s, {})[r] = t
    cpu.setdefault(s, {})[r] = c
    try:
        j = json.load(open("%s/out.%d.%d" % (d, s, r)))
        lost.append(j["claim_rounds_lost"])
    except Exception:
        j = None
    if rc != 0 or j is None:
        bad.append("shard %d round %d: exit %d" % (s, r, rc))
def fs(v):
    return "%.2f s" % (v / 1000) if v >= 1000 else "%d ms" % v
worst_all = 0
for s in range(n):
    v = [ms[s][r] for r in sorted(ms.get(s, {})) if r > 0]
    vc = [cpu[s][r] for r in sorted(cpu.get(s, {})) if r > 0]
    first = ms.get(s, {}).get(0, 0)
    if not v:
        continue
    worst_all = max(worst_all, max(v), first)
    print("T\tshard %d/%d (%s campaigns): tick wall time, median / worst of %d ticks (its first tick, a fresh clone's cold one: %s)\t≤ 10 s each\t%s / %s (cpu median %s, worst %s)\t%s" % (
        s, n, camps[s], len(v), fs(first), fs(statistics.median(v)), fs(max(v)),
        fs(statistics.median(vc)), fs(max(vc)),
        "yes" if max(v) <= 10000 and first <= 10000 else "no"))
lost.sort()
if lost:
    med = statistics.median(lost)
    print("L\tclaim rounds lost to another runner, per tick (%d ticks): median (mean, worst; ticks that lost any)\t≤ 1\t%g (mean %.2f, worst %d; %d of %d)\t%s" % (
        len(lost), med, sum(lost) / len(lost), max(lost), sum(1 for x in lost if x), len(lost),
        "yes" if med <= 1 else "no"))
start, end, shared = {}, {}, {}
for line in open(d + "/log.jsonl"):
    e = json.loads(line)
    a = e.get("attempt_id")
    if e["event"] == "dispatched":
        start[a] = ts(e["ts"])
        if (e.get("phone") or "").startswith("+1305555"):
            shared[e["phone"]] = shared.get(e["phone"], 0) + 1
    elif e["event"] == "outcome" and a:
        end[a] = ts(e["ts"])
area = sum(max(0.0, min(end.get(a, t_last), t_last) - s) for a, s in start.items() if s <= t_last)
span = t_last - t0
avg = area / span if span > 0 else 0
durs = [end[a] - start[a] for a in end if a in start]
mean = statistics.mean(durs) if durs else 0
full = conc * 60 / mean if mean else 0
print("B\tcalls in flight, time average over %d simulated minutes / the sum of the campaigns' concurrency (%d)\t≥ 90%%\t%.1f of %d (%.0f%%)\t%s" % (
    span / 60, conc, avg, conc, 100 * avg / conc, "yes" if avg >= 0.9 * conc else "no"))
print("D\tcalls dialed per simulated minute (%d in %d min; a call lasts %.0f s on average at the sim, so %d busy slots dial %.0f a minute)\treport\t%.0f/min\t-" % (
    len(start), span / 60, mean, conc, full, len(start) / (span / 60) if span else 0))
print("S\tthe shared Miami numbers (us-fl-cap: 3 calls in 24 h across campaigns; every campaign starts with them)\t≤ 3 each\t%d dials to %d numbers, at most %d to one\t%s" % (
    sum(shared.values()), len(shared), max(shared.values() or [0]),
    "yes" if max(shared.values() or [0]) <= 3 else "no"))
for b in bad[:5]:
    print("E\t%s\t-\terror\tERR" % b)
EOF
		{ err "$f" "≤ 10 s" "figures"; return; }
	while IFS=$'\t' read -r _ fig tgt val ok; do
		row "$fig$SH_SIZE" "$tgt" "$val" "$ok"
	done <"$d/rows"
	fig=$("$PY" -c 'import json, sys
a = json.load(open(sys.argv[1]))
c = {x["name"]: x["findings"] for x in a["checks"]}
print("%d findings in %d lines, %d commits (%s)" % (a["findings_total"], a["range"]["lines"], a["range"]["commits"],
      ", ".join("%s %d" % (k, v) for k, v in c.items() if v) or "none"))' "$d/audit.json" 2>/dev/null) ||
		fig="unreadable JSON (exit $(cat "$d/audit.rc"))"
	row "gitdial audit of the remote afterwards (double dials, caps across campaigns, ...; $(wall_cpu "$M_MS" "$M_CPU"))" \
		"0 findings" "$fig" "$([ "$(cat "$d/audit.rc")" = 0 ] && echo yes || echo no)"
	smarthttp_stop
	[ "$KEEP" = 1 ] || rm -rf "$d"
}

# ---- 8. growth: a simulated month of a 10,000-calls-a-day operation -----
# `gen month` writes the month as the runner would have committed it (a
# claim and a place commit a minute, 14:00Z-23:59Z every day, a new
# campaign a week, retries) straight into a `git fast-import` stream on
# top of an init repository: 28 days, cut after day 7 and day 28. At each
# cut the history is pushed to a bare repository served by git
# http-backend under lighttpd (tests/e2e/lib-smarthttp.sh), and measured:
# its packed size per call after `git gc` on the host; a fresh runner's
# `git clone --bare` + tick (MO_FRUNS runs); a cached runner's tick --remote origin (its fetch of
# another runner's last tick, the tick, its two pushes), the runner's
# caches warm from the tick before (a dry run). The measured tick is at
# 20:00Z of the cut's day, the campaign Dialing with calls in flight.
MO_DAYS=28 MO_CUTS="6 27" MO_DAY0=1793714400 # 2026-11-03T14:00:00Z, day 0
bench_month() {
	local d=$WORK/month seed cut T Tp url srv run calls commits kb
	local fresh=() cached=() fcpu=() ccpu=() label ms cpu w1f w1c
	[ -x /usr/sbin/lighttpd ] || { err "growth" "-" "no lighttpd"; return; }
	mkdir -p "$d" || return
	seed=$d/seed
	init_repo "$seed" || return
	rm -rf "$seed/campaigns/"*
	set_json "$seed/gitdial.json" "c['accounts']['sim-main']['cps'] = 1000; c['accounts']['sim-main']['max_concurrency'] = 100"
	(cd "$seed" && "${GIT[@]}" add -A && "${GIT[@]}" commit -qm "bench: the operation's repository") ||
		die "commit (month)"
	log "month: generating $MO_DAYS days of $MO_PER_DAY calls a day (git fast-import)"
	measure bash -c 'set -o pipefail; "$1" month "$2" "$3" $4 | git -C "$5" fast-import --quiet' sh \
		"$BB/gen" "$MO_DAYS" "$MO_PER_DAY" "$MO_CUTS" "$seed"
	[ "$M_RC" = 0 ] || { err "growth: generating the month" "-" "$M_RC"; return; }
	cp "$WORK/err" "$d/gen.err"
	log "month: generated in $(fmt_s "$M_MS"): $(tr '\n' ' ' <"$d/gen.err")"
	TMP=$d # lib-smarthttp.sh's directory
	. "$ROOT/tests/e2e/lib-smarthttp.sh"
	PATH=$PATH:/usr/sbin smarthttp_start bench "mo-$$" || { err "growth" "-" "lighttpd"; return; }
	BG_PIDS+=("$SMARTHTTP_PID")
	for cut in $MO_CUTS; do
		label="week $(( (cut + 1) / 7 ))"
		read -r calls commits < <(sed -n "s/^gen: cut$cut: \([0-9]*\) calls, \([0-9]*\) commits.*/\1 \2/p" "$d/gen.err")
		T=$(TZ=UTC printf '%(%Y-%m-%dT%H:%M:%SZ)T' $((MO_DAY0 + cut * 86400 + 6 * 3600)))
		Tp=$(TZ=UTC printf '%(%Y-%m-%dT%H:%M:%SZ)T' $((MO_DAY0 + cut * 86400 + 6 * 3600 - 60)))
		# the host's repository at the cut, as pushed, then gc
		srv=$GITSRV_ROOT/m$cut.git
		git init -q --bare --initial-branch=main "$srv" &&
			git -C "$srv" config http.receivepack true &&
			git -C "$seed" push -q "$srv" "cut$cut-b:refs/heads/main" &&
			git -C "$srv" gc -q --prune=now || die "push (month)"
		kb=$(git -C "$srv" count-objects -v | sed -n 's/^size-pack: //p')
		row "growth, $label ($(num "$calls") calls, $(num "$commits") commits): packed bytes per call after git gc$MO_SIZE" \
			"≤ 150" "$((kb * 1024 / calls)); $(awk -v k="$kb" 'BEGIN{printf "%.1f MB", k/1024}') in all" \
			"$(le $((kb * 1024 / calls)) 150)"
		url="http://bench:mo-$$@${GITSRV_URL#http://}/m$cut.git"
		cp -a "$srv" "$d/pristine.git" || die cp
		# a fresh runner: clone + tick
		fresh=() fcpu=()
		for ((run = 1; run <= MO_FRUNS; run++)); do
			rm -rf "$srv" "$d/fresh.git" && cp -a "$d/pristine.git" "$srv" || die cp
			sync
			measure sh -c 'git clone -q --bare "$1" "$2" &&
				git -C "$2" config remote.origin.fetch "+refs/heads/*:refs/remotes/origin/*" &&
				"$3" tick --repo "$2" --remote origin --now "$4"' sh "$url" "$d/fresh.git" "$BIN/gitdial" "$T"
			[ "$M_RC" = 0 ] || { err "growth, $label: fresh clone + tick" "report" "$M_RC"; break; }
			[ "$run" = 1 ] && log "month: $label, fresh: $(head -n 1 "$WORK/out")"
			fresh+=("$M_MS") fcpu+=("$M_CPU")
		done
		rm -rf "$d/fresh.git"
		# a cached runner: cloned at the tick before last, its caches
		# warm from a dry run a minute before; another runner's tick
		# lands; then its tick, fetch to push
		rm -rf "$srv" "$d/cached.git"
		git init -q --bare --initial-branch=main "$srv" &&
			git -C "$srv" config http.receivepack true &&
			git -C "$seed" push -q "$srv" "cut$cut-a:refs/heads/main" &&
			git clone -q --bare "$url" "$d/cached.git" &&
			git -C "$d/cached.git" config remote.origin.fetch '+refs/heads/*:refs/remotes/origin/*' ||
			die "clone (cached)"
		"$BIN/gitdial" tick --dry-run --repo "$d/cached.git" --now "$Tp" >/dev/null 2>"$d/dry.err" ||
			{ cat "$d/dry.err" >&2; die "dry run (cached)"; }
		git -C "$seed" push -q "$srv" "cut$cut-b:refs/heads/main" || die "push (cut-b)"
		cp -a "$srv" "$d/srv-b.git" && cp -a "$d/cached.git" "$d/cached0.git" || die cp
		cached=() ccpu=()
		for run in 1 2 3; do
			rm -rf "$srv" "$d/cached.git" &&
				cp -a "$d/srv-b.git" "$srv" && cp -a "$d/cached0.git" "$d/cached.git" || die cp
			sync
			measure "$BIN/gitdial" tick --repo "$d/cached.git" --remote origin --now "$T"
			[ "$M_RC" = 0 ] || { err "growth, $label: cached fetch + tick" "≤ 3 s" "$M_RC"; break; }
			[ "$run" = 1 ] && log "month: $label, cached: $(head -n 1 "$WORK/out")"
			cached+=("$M_MS") ccpu+=("$M_CPU")
		done
		rm -rf "$d/cached.git" "$d/cached0.git" "$d/srv-b.git" "$d/pristine.git"
		[ ${#fresh[@]} = "$MO_FRUNS" ] && row "growth, $label: a fresh runner's git clone + tick over smart HTTP, median of $MO_FRUNS" \
			"report" "$(wall_cpu "$(median "${fresh[@]}")" "$(median "${fcpu[@]}")")" "-"
		[ ${#cached[@]} = 3 ] && row "growth, $label: a cached runner's tick --remote origin (fetch, tick, push), median of 3" \
			"≤ 3 s" "$(wall_cpu "$(median "${cached[@]}")" "$(median "${ccpu[@]}")") (runs: $(fmt_runs "${cached[@]}"))" \
			"$(le "$(median "${cached[@]}")" 3000)"
		if [ -z "${w1f:-}" ]; then
			w1f=$(median "${fresh[@]}") w1c=$(median "${cached[@]}")
		else
			row "growth: fresh clone + tick, week 4 / week 1" "report" "$(ratio "$(median "${fresh[@]}")" "$w1f")×" "-"
			row "growth: cached runner's fetch + tick, week 4 / week 1" "≤ 1.25×" \
				"$(ratio "$(median "${cached[@]}")" "$w1c")×" "$(le "$(ratio "$(median "${cached[@]}")" "$w1c")" 1.25)"
		fi
	done
	smarthttp_stop
	[ "$KEEP" = 1 ] || rm -rf "$d"
}

START=$(date +%s)
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
case "$ONLY" in
'') bench_validate; bench_tick; bench_audit; bench_flat; bench_webhooks; bench_ingest; bench_for; bench_shards; bench_month ;;
validate) bench_validate ;;
tick) bench_tick ;;
audit) bench_audit ;;
flat) bench_flat ;;
webhooks) bench_webhooks ;;
hooks) bench_exec_floor; bench_hooks ;;
dials) bench_exec_floor; bench_dials ;;
ingest) bench_ingest ;;
for) bench_for ;;
shards) bench_shards ;;
month) bench_month ;;
*) die "--only validate|tick|flat|audit|webhooks|hooks|dials|ingest|for|shards|month" ;;
esac

echo
echo "gitdial bench$SIZE: $(nproc) CPUs, $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u +%Y-%m-%dT%H:%M:%SZ), $(( $(date +%s) - START )) s, load average $LOAD0 at the start, $(cut -d' ' -f1 /proc/loadavg) at the end"
echo
echo "| figure | target | measured | ok |"
echo "|---|---|---|---|"
printf '%s\n' "${ROWS_OUT[@]}"
exit 0
