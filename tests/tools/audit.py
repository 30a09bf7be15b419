#!/usr/bin/python3
"""Audits a campaign's committed event log, reading only git and the data
tables, the way an auditor would (independent of the C code).

usage: audit.py REPO CAMPAIGN [--windows] [--caps] [--complete] [--dnc PHONE...]

Checks, failing with a message naming the event:
  - every (attempt_id, event) of dispatched/placed/outcome appears once;
  - attempts of a phone are numbered 1..k with k <= 1 + retries.max;
  - attempt n+1 is dispatched only after attempt n's outcome (never two
    in flight for one number), and no sooner than the retry ladder's
    cool-down (pacing.retries.cooldown_minutes, a number or one per
    retry, the last repeating) when attempt n counted;
  - --windows: every dispatch is inside the campaign window, every hours
    rule and outside every banned weekday and holiday of the rules pack
    (schemas/rules/rules.json with the repository's rules/*.json layered
    over it, rows in force by their effective date), in the local time of
    every zone the number may be in;
  - --caps: for every number of the campaign, the dispatches of every
    campaign of the repository stay within each cap rule (at most N in
    any rolling period ending at a dispatch);
  - --complete: the campaign logged `completed` and every audience row is
    accounted for (a terminal outcome or a `skipped` event);
  - --dnc PHONE: that number is never dispatched.
Prints a one-line summary and exits 1 on the first violation.
"""
import csv, io, json, os, subprocess, sys
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], check=True,
                          capture_output=True).stdout


def fail(msg):
    print("audit: FAIL: " + msg)
    sys.exit(1)


def ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def load_prefixes(name):
    rows = {}
    for line in open(os.path.join(TOP, "schemas/data", name), encoding="utf-8"):
        if line.startswith("#") or "|" not in line:
            continue
        p, v = line.strip().split("|", 1)
        rows[p] = v.split("&")
    return rows


def longest(rows, digits):
    for l in range(min(len(digits), 15), 0, -1):
        if digits[:l] in rows:
            return rows[digits[:l]], l
    return None, 0


def zone_country():
    m = {}
    for line in open("/usr/share/zoneinfo/zone.tab"):
        if line.startswith("#"):
            continue
        f = line.split("\t")
        m[f[2].strip()] = f[0]
    return m


class Rules:
    def __init__(self, repo):
        self.zones = load_prefixes("phone-zones.txt")
        self.regions = load_prefixes("nanp-regions.txt")
        rows = json.load(open(os.path.join(TOP, "schemas/rules/rules.json")))["rules"]
        # the repository's own packs, layered by id in name order
        names = sorted(f for f in git(repo, "ls-tree", "--name-only", "HEAD", "rules/")
                       .decode().split("\n") if f.endswith(".json"))
        for f in names:
            for row in json.loads(git(repo, "show", "HEAD:" + f))["rules"]:
                for i, old in enumerate(rows):
                    if old["id"] == row["id"]:
                        rows[i] = row
                        break
                else:
                    rows.append(row)
        self.legal = rows
        self.zc = zone_country()

    def country(self, zone):
        if zone in self.zc:
            return self.zc[zone]
        real = os.path.realpath("/usr/share/zoneinfo/" + zone)
        return self.zc.get(real.split("/usr/share/zoneinfo/", 1)[-1])

    def place(self, phone, tz_col):
        digits = phone.lstrip("+")
        nz, _ = longest(self.zones, digits)
        zones = [tz_col] if tz_col else (nz or [])
        jur = set()
        for z in (nz or []):
            c = self.country(z)
            if c:
                jur.add(c)
        if tz_col and self.country(tz_col):
            jur.add(self.country(tz_col))
        if digits.startswith("1"):
            reg, l = longest(self.regions, digits)
            if reg and l == 4:
                for r in reg:
                    jur.add(r)
                    jur.add(r[:2])
        rules = [r for r in self.legal if r["jurisdiction"] != "default"
                 and r["jurisdiction"] in jur]
        if not any("-" not in r["jurisdiction"] and r["kind"] == "hours" for r in rules):
            rules += [r for r in self.legal if r["jurisdiction"] == "default"]
        return zones, rules


def hm(s):
    h, m = s.split(":")
    return int(h) * 60 + int(m)


def rule_allows(rule, local):
    """Does an hours or banned row allow a call starting at local time?"""
    if local.date().isoformat() < rule["effective"]:
        return True
    day = DAYS[(local.weekday() + 1) % 7]
    minute = local.hour * 60 + local.minute
    if rule["kind"] == "hours":
        return any(day in h["days"] and hm(h["start"]) <= minute < hm(h["end"])
                   for h in rule["hours"])
    if rule["kind"] == "banned":
        return day not in rule.get("days", []) and \
            local.date().isoformat() not in rule.get("dates", [])
    return True


def main():
    args = sys.argv[1:]
    repo, cid = args[0], args[1]
    want_windows = "--windows" in args
    want_complete = "--complete" in args
    want_caps = "--caps" in args
    dnc = set(args[args.index("--dnc") + 1:]) if "--dnc" in args else set()
    camp = json.loads(git(repo, "show", "HEAD:campaigns/%s/campaign.json" % cid))
    pacing = camp.get("pacing", {})
    rmax = pacing.get("retries", {}).get("max", 0)
    ladder = pacing.get("retries", {}).get("cooldown_minutes", 0)
    ladder = ladder if isinstance(ladder, list) else [ladder]
    files = sorted(f for f in git(repo, "ls-tree", "-r", "--name-only", "HEAD",
                                  "outcomes/%s" % cid).decode().split("\n") if f.endswith(".jsonl"))
    events = []
    for f in files:
        for line in git(repo, "show", "HEAD:" + f).decode().splitlines():
            if line.strip():
                events.append(json.loads(line))
    seen = set()
    attempts = {}  # phone digits -> {n: {"d": ts, "o": ts}}
    statuses = []
    skipped_rows = set()
    for e in events:
        ev = e["event"]
        if ev in ("dispatched", "placed", "outcome"):
            key = (e["attempt_id"], ev)
            if key in seen:
                fail("%s of %s appears twice" % (ev, e["attempt_id"]))
            seen.add(key)
            _, digits, n = e["attempt_id"].rsplit(".", 2)
            a = attempts.setdefault(digits, {}).setdefault(int(n), {})
            a[ev[0]] = ts(e["ts"])
            if ev == "outcome":
                a["outcome"] = e
            if ev == "dispatched":
                a["row"] = e["row"]
                if "+" + digits in dnc:
                    fail("%s is on the DNC list but was dispatched at %s" % (digits, e["ts"]))
        elif ev == "status":
            statuses.append(e["status"])
        elif ev == "skipped":
            skipped_rows.add(e["row"])
    dispatches = 0
    for digits, by_n in attempts.items():
        ns = sorted(by_n)
        if ns != list(range(1, len(ns) + 1)):
            fail("+%s has attempts %s (expected 1..k)" % (digits, ns))
        # attempts the provider refused for load (rate_limited, transient)
        # created no call and do not count against retries.max
        counted = [n for n in ns if (by_n[n].get("outcome") or {}).get("error", {}).get("kind")
                   not in ("rate_limited", "transient")]
        if len(counted) > 1 + rmax:
            fail("+%s was dialed %d times (max %d)" % (digits, len(counted), 1 + rmax))
        for n in ns:
            dispatches += 1
            if "d" not in by_n[n]:
                fail("attempt %d of +%s has no dispatched event" % (n, digits))
            if n > 1:
                prev = by_n[n - 1]
                if "o" not in prev:
                    fail("+%s attempt %d dispatched while attempt %d had no outcome" % (digits, n, n - 1))
                if by_n[n]["d"] < prev["o"]:
                    fail("+%s attempt %d dispatched at %s before attempt %d ended at %s"
                         % (digits, n, by_n[n]["d"], n - 1, prev["o"]))
                # a counted attempt is followed after the ladder's cool-down
                used = sum(1 for k in ns[:ns.index(n)] if k in counted)
                if n - 1 in counted and used >= 1:
                    cool = ladder[min(used - 1, len(ladder) - 1)] * 60
                    if (by_n[n]["d"] - prev["o"]).total_seconds() < cool:
                        fail("+%s attempt %d at %s only %ds after attempt %d ended (cool-down %d min)"
                             % (digits, n, by_n[n]["d"], (by_n[n]["d"] - prev["o"]).total_seconds(),
                                n - 1, cool // 60))
    checked = 0
    if want_windows:
        rules = Rules(repo)
        aud = camp["audience"]["csv"]
        text = git(repo, "show", "HEAD:campaigns/%s/%s" % (cid, aud)).decode("utf-8-sig")
        tzcol = {}
        for row in csv.DictReader(io.StringIO(text)):
            row = {k.strip().lower(): v for k, v in row.items()}
            p = "".join(ch for ch in row["phone"] if ch.isdigit() or ch == "+")
            if p.startswith("00"):
                p = "+" + p[2:]
            tzcol[p.lstrip("+")] = (row.get("timezone") or "").strip()
        w = pacing.get("window")
        cdays = set(w.get("days", DAYS)) if w else set(DAYS)
        cstart, cend = (hm(w["start"]), hm(w["end"])) if w else (0, 1440)
        for digits, by_n in attempts.items():
            zones, lrules = rules.place("+" + digits, tzcol.get(digits, ""))
            if not zones:
                fail("no zone for +%s" % digits)
            for n, a in by_n.items():
                for z in zones:
                    local = a["d"].astimezone(ZoneInfo(z))
                    day = DAYS[(local.weekday() + 1) % 7]
                    minute = local.hour * 60 + local.minute
                    if not (day in cdays and cstart <= minute < cend):
                        fail("+%s attempt %d at %s is %s %02d:%02d in %s: outside the campaign window"
                             % (digits, n, a["d"], day, local.hour, local.minute, z))
                    for r in lrules:
                        if not rule_allows(r, local):
                            fail("+%s attempt %d at %s is %s %02d:%02d in %s: outside legal rule %s"
                                 % (digits, n, a["d"], day, local.hour, local.minute, z, r["id"]))
                    checked += 1
    capped = 0
    if want_caps:
        rules = Rules(repo)
        # every campaign's dispatches, by number
        every = {}
        for f in git(repo, "ls-tree", "-r", "--name-only", "HEAD", "outcomes").decode().split("\n"):
            if not f.endswith(".jsonl"):
                continue
            for line in git(repo, "show", "HEAD:" + f).decode().splitlines():
                if '"dispatched"' in line:
                    e = json.loads(line)
                    if e["event"] == "dispatched":
                        every.setdefault(e["phone"].lstrip("+"), []).append(
                            (ts(e["ts"]), e["campaign"]))
        for digits in attempts:
            _, lrules = rules.place("+" + digits, "")
            times = sorted(every.get(digits, []))
            for r in lrules:
                if r["kind"] != "cap":
                    continue
                capped += 1
                period = r["period_hours"] * 3600
                for i, (t, cid_) in enumerate(times):
                    if t.date().isoformat() < r["effective"]:
                        continue
                    n = sum(1 for u, _ in times[:i + 1] if (t - u).total_seconds() < period)
                    if n > r["max_calls"]:
                        fail("+%s: %d dispatches within %d h ending %s (%s), cap %s allows %d"
                             % (digits, n, r["period_hours"], t, ",".join(sorted({c for _, c in times[:i + 1]})),
                                r["id"], r["max_calls"]))
    if want_complete:
        if "completed" not in statuses:
            fail("no completed status (statuses: %s)" % statuses)
        aud = camp["audience"]["csv"]
        text = git(repo, "show", "HEAD:campaigns/%s/%s" % (cid, aud)).decode("utf-8-sig")
        nrows = sum(1 for _ in csv.reader(io.StringIO(text))) - 1
        rows_done = set(skipped_rows)
        for digits, by_n in attempts.items():
            last = by_n[max(by_n)]
            if "o" not in last:
                fail("+%s attempt %d never ended" % (digits, max(by_n)))
            rows_done.add(last["row"])
        if len(rows_done) != nrows:
            fail("%d of %d audience rows accounted for" % (len(rows_done), nrows))
    print("audit: ok: %d events, %d numbers, %d dispatches, %d window checks, %d cap checks, statuses %s"
          % (len(events), len(attempts), dispatches, checked, capped, ",".join(statuses) or "-"))


main()
