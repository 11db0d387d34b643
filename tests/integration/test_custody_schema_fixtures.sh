#!/usr/bin/env bash
# test_custody_schema_fixtures.sh - schemas/events/custody.schema.json
# against the fixtures under tests/fixtures/{valid,invalid}/custody/ (the
# split tests/unit/services/custody/test_fixtures.c holds the C consumer to; the
# checks are schema_fixtures_lib.sh's), and against events made by
# `eqm-replay synth custody`.
#
# Of the invalid files named "<code>__*", those the custody handler refuses
# (unknown_event_type, missing_outcome, bad_outcome, bad_tactics,
# bad_officer_defined_ethnicity) must pass envelope.schema.json, every other
# code must fail it.
#
# Needs python3 with jsonschema (see schema_fixtures_lib.sh). Starts no
# server; needs eqm-replay built (EQM_BUILD_DIR, default build/).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=schema_fixtures_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/schema_fixtures_lib.sh"

src=${EQM_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
build=${EQM_BUILD_DIR:-$src/build}
[[ -x $build/bin/eqm-replay ]] || { echo "FAIL: $build/bin/eqm-replay not built" >&2; exit 1; }

generated=$(mktemp /tmp/eqm-custody-synth.XXXXXX)
trap 'rm -f "$generated"' EXIT
# Disparities, duplicates, and enough events for every form the generator
# can send to appear.
timeout 60 "$build/bin/eqm-replay" synth custody --seed 11 --events 4000 \
    --area E07000008,E06000031 --multiplier black=2.5,taser:black=2 --duplicates 0.05 \
    --output "$generated" 2>/dev/null

# Generated events: every one valid, and every form actually sent.
read -r -d '' generated_check <<'PY' || true
seen = {}
lines = 0
with open(extra_args[0], "rb") as f:
    for raw in f:
        lines += 1
        doc = parse(raw.rstrip(b"\n"))
        errors = list(validators["custody"].iter_errors(doc))
        if errors:
            failures.append("generated line %d: %s: %s" % (lines, errors[0].message, raw[:200]))
            continue
        t = doc["event_type"]
        seen[t] = seen.get(t, 0) + 1
        if t == "use_of_force":
            tactics = doc.get("tactics", "absent")
            form = ("absent" if tactics == "absent" else "null" if tactics is None
                    else "empty" if tactics == [] else "list")
            seen["tactics " + form] = 1
        for field in ("self_defined_ethnicity", "sex", "age"):
            if field in doc:
                seen[field] = 1
want = ["arrest", "detention", "strip_search", "use_of_force", "disposal", "tactics absent",
        "tactics null", "tactics empty", "tactics list", "self_defined_ethnicity", "sex", "age"]
missing = [w for w in want if w not in seen]
if missing:
    failures.append("generated events lack: %s" % ", ".join(missing))
if lines < 4000:
    failures.append("only %d generated events" % lines)
ok_detail = " and %d generated events" % lines
PY

eqm_schema_fixtures custody 20 20 sound \
    "unknown_event_type missing_outcome bad_outcome bad_tactics bad_officer_defined_ethnicity" \
    "$generated_check" "$generated"
