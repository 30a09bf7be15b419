#!/usr/bin/env python3
"""Turns libphonenumber's NANP area-code names into jurisdiction codes.

Input: shared data extract (area code|name, names as libphonenumber gives
them). Output (stdout): area code|US-XX or CA-XX[&...], with attribution.
Run once when the data is refreshed; the output is committed as
schemas/data/nanp-regions.txt.
"""
import sys

US = {"Alabama":"AL","Alaska":"AK","Arizona":"AZ","Arkansas":"AR","California":"CA",
"Colorado":"CO","Connecticut":"CT","Delaware":"DE","Florida":"FL","Georgia":"GA",
"Hawaii":"HI","Idaho":"ID","Illinois":"IL","Indiana":"IN","Iowa":"IA","Kansas":"KS",
"Kentucky":"KY","Louisiana":"LA","Maine":"ME","Maryland":"MD","Massachusetts":"MA",
"Michigan":"MI","Minnesota":"MN","Mississippi":"MS","Missouri":"MO","Montana":"MT",
"Nebraska":"NE","Nevada":"NV","New Hampshire":"NH","New Jersey":"NJ","New Mexico":"NM",
"New York":"NY","North Carolina":"NC","North Dakota":"ND","Ohio":"OH","Oklahoma":"OK",
"Oregon":"OR","Pennsylvania":"PA","Rhode Island":"RI","South Carolina":"SC",
"South Dakota":"SD","Tennessee":"TN","Texas":"TX","Utah":"UT","Vermont":"VT",
"Virginia":"VA","Washington State":"WA","West Virginia":"WV","Wisconsin":"WI",
"Wyoming":"WY","Washington D.C.":"DC"}
CA = {"Alberta":"AB","British Columbia":"BC","British Colombia":"BC","Manitoba":"MB",
"New Brunswick":"NB","Newfoundland and Labrador":"NL","Nova Scotia":"NS",
"Prince Edward Island":"PE","Ontario":"ON","Quebec":"QC","Saskatchewan":"SK",
"Northwest Territories":"NT","Nunavut":"NU","Yukon":"YT"}
CA_ABBR = set(CA.values())

def codes(name):
    out = []
    for part in name.split("/"):
        part = part.strip()
        if part in US: out.append("US-" + US[part])
        elif part in CA: out.append("CA-" + CA[part])
        elif ", " in part:
            st = part.rsplit(", ", 1)[1]
            out.append(("CA-" if st in CA_ABBR else "US-") + st)
        else:
            raise SystemExit("unknown region name: %r" % part)
    return "&".join(out)

src = sys.argv[1]
print("# NANP area code -> jurisdiction (ISO 3166-2), from libphonenumber")
print("# resources/geocoding/en/1.txt at commit f7e3e88c92b905c8d6edb81f336dbe25edc05b52")
print("# (Apache-2.0, Copyright (C) 2011 The Libphonenumber Authors), names mapped")
print("# to codes by tools/gen-nanp.py.")
for line in open(src, encoding="utf-8"):
    line = line.strip()
    if not line or line.startswith("#") or "|" not in line: continue
    prefix, name = line.split("|", 1)
    print("%s|%s" % (prefix, codes(name)))
