#!/usr/bin/env bash
# test_custody_schema_fixtures.sh - schemas/events/custody.schema.json
# against the fixtures under tests/fixtures/{valid,invalid}/custody/, and
# against events made by `eqm-replay synth custody`.
#
# Every valid fixture must satisfy custody.schema.json and every invalid one
# must not: the split tests/unit/custody/test_fixtures.c holds the C consumer
# to. A file that is not JSON as the consumer reads it (jansson with
# JSON_REJECT_DUPLICATES: no duplicate keys, NaN/Infinity, invalid UTF-8,
# lone surrogates, NUL, integers beyond 64 bits) counts as invalid here too.
# Invalid files named "<code>__*" are also checked against
# envelope.schema.json: those the custody handler refuses (unknown_event_type,
# missing_outcome, bad_outcome, bad_tactics) must pass the envelope, every
# other code must fail it.
#
# Needs python3 with jsonschema: Debian's python3-jsonschema (4.10, which
# resolves $ref with RefResolver) or a newer one (with `referencing`); the
# first interpreter that has it wins, /usr/bin/python3 first. Starts no
# server; needs eqm-replay built (EQM_BUILD_DIR, default build/).
set -euo pipefail

src=${EQM_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
build=${EQM_BUILD_DIR:-$src/build}

py=
for candidate in ${EQM_TEST_PYTHON:-} /usr/bin/python3 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import jsonschema' 2>/dev/null; then
        py=$candidate
        break
    fi
done
if [[ -z $py ]]; then
    echo "FAIL: no python3 can import jsonschema (install python3-jsonschema);" \
        "the custody schema fixtures were NOT checked" >&2
    exit 1
fi
[[ -x $build/bin/eqm-replay ]] || { echo "FAIL: $build/bin/eqm-replay not built" >&2; exit 1; }

generated=$(mktemp /tmp/eqm-custody-synth.XXXXXX)
trap 'rm -f "$generated"' EXIT
# Disparities, duplicates, and enough events for every form the generator
# can send to appear.
timeout 60 "$build/bin/eqm-replay" synth custody --seed 11 --events 4000 \
    --area E07000008,E06000031 --multiplier black=2.5,taser:black=2 --duplicates 0.05 \
    --output "$generated" 2>/dev/null

exec "$py" - "$src" "$generated" <<'PY'
import json
import math
import os
import sys

import jsonschema

src, generated = sys.argv[1], sys.argv[2]
schema_dir = os.path.join(src, "schemas", "events")
fixtures = os.path.join(src, "tests", "fixtures")
HANDLER_CODES = {"unknown_event_type", "missing_outcome", "bad_outcome", "bad_tactics"}


def load_schema(name):
    with open(os.path.join(schema_dir, name), encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


envelope = load_schema("envelope.schema.json")
custody = load_schema("custody.schema.json")
try:  # jsonschema >= 4.18
    from referencing import Registry, Resource

    registry = Registry().with_resources(
        [(s["$id"], Resource.from_contents(s)) for s in (envelope, custody)])
    validators = {name: jsonschema.Draft202012Validator(s, registry=registry)
                  for name, s in (("envelope", envelope), ("custody", custody))}
except ImportError:  # Debian 12's 4.10
    store = {s["$id"]: s for s in (envelope, custody)}
    validators = {name: jsonschema.Draft202012Validator(
        s, resolver=jsonschema.RefResolver.from_schema(s, store=store))
        for name, s in (("envelope", envelope), ("custody", custody))}


class NotJson(Exception):
    pass


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise NotJson("duplicate key")
    return dict(pairs)


def no_constant(name):
    raise NotJson("%s is not JSON" % name)


def check_values(v):
    # What jansson refuses and Python's json module lets through.
    if isinstance(v, str):
        if "\0" in v:
            raise NotJson("NUL in a string")
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            raise NotJson("lone surrogate in a string")
    elif isinstance(v, bool) or v is None:
        pass
    elif isinstance(v, int):
        if not -2**63 <= v < 2**63:
            raise NotJson("integer beyond 64 bits")
    elif isinstance(v, float):
        if not math.isfinite(v):
            raise NotJson("number out of range")
    elif isinstance(v, list):
        for x in v:
            check_values(x)
    elif isinstance(v, dict):
        for k, x in v.items():
            check_values(k)
            check_values(x)


def parse(raw):
    try:
        doc = json.loads(raw.decode("utf-8"), object_pairs_hook=no_duplicates,
                         parse_constant=no_constant)
    except (UnicodeDecodeError, ValueError, NotJson) as e:
        raise NotJson(str(e))
    check_values(doc)
    return doc


failures = []
counts = {"valid": 0, "invalid": 0}
for split in ("valid", "invalid"):
    d = os.path.join(fixtures, split, "custody")
    names = sorted(n for n in os.listdir(d) if not n.startswith("."))
    counts[split] = len(names)
    for name in names:
        with open(os.path.join(d, name), "rb") as f:
            raw = f.read()
        try:
            doc = parse(raw)
        except NotJson as e:
            if split == "valid":
                failures.append("%s/%s: not JSON as the consumer reads it (%s)" % (split, name, e))
            continue
        errors = list(validators["custody"].iter_errors(doc))
        if split == "valid" and errors:
            failures.append("%s/%s: schema refuses it: %s" % (split, name, errors[0].message))
        elif split == "invalid" and not errors:
            failures.append("%s/%s: schema accepts it" % (split, name))
        env_ok = validators["envelope"].is_valid(doc)
        if split == "valid" and not env_ok:
            failures.append("%s/%s: envelope schema refuses it" % (split, name))
        if split == "invalid" and "__" in name:
            code = name.split("__", 1)[0]
            if code in HANDLER_CODES and not env_ok:
                failures.append("%s/%s: envelope schema refuses a sound envelope" % (split, name))
            if code not in HANDLER_CODES and env_ok:
                failures.append("%s/%s: envelope schema accepts it (%s)" % (split, name, code))

if counts["valid"] < 20 or counts["invalid"] < 20:
    failures.append("too few fixtures: %(valid)d valid, %(invalid)d invalid" % counts)

# Generated events: every one valid, and every form actually sent.
seen = {}
lines = 0
with open(generated, "rb") as f:
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

for f in failures:
    print("FAIL:", f, file=sys.stderr)
if failures:
    print("FAIL: %d disagreement(s) between custody.schema.json and the events" % len(failures),
          file=sys.stderr)
    sys.exit(1)
try:
    from importlib.metadata import version
    jsonschema_version = version("jsonschema")
except Exception:
    jsonschema_version = "?"
print("ok: %d valid and %d invalid custody fixtures and %d generated events agree with the "
      "schemas (python %s, jsonschema %s)" % (counts["valid"], counts["invalid"], lines,
                                              sys.executable, jsonschema_version))
PY
