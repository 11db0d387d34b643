#!/usr/bin/env bash
# test_schema_fixtures_recruitment.sh - recruitment.schema.json against
# the fixture files under tests/fixtures/{valid,invalid}/recruitment/.
#
# Every valid fixture must satisfy recruitment.schema.json and every invalid
# one must not: the same split that tests/unit/recruitment/test_fixtures.c
# holds the C consumer to. A file that is not JSON as the consumer reads it
# (jansson with JSON_REJECT_DUPLICATES: no duplicate keys, no NaN/Infinity,
# strictly valid UTF-8 with no lone surrogate or NUL, integers within 64
# bits) counts as invalid here too. Invalid files named "<code>__*" are also
# checked against envelope.schema.json: those with an envelope reason code
# must fail it, those with a handler's code (role, stage, counts, ...) must
# pass it (their envelope is sound; the rest is the topic's business).
#
# Needs python3 with jsonschema (Debian python3-jsonschema) and starts no
# server. ctest sets EQM_SOURCE_DIR; run by hand it finds the tree itself.
set -euo pipefail

src=${EQM_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

if ! command -v python3 >/dev/null 2>&1; then
    echo "FAIL: python3 is not installed; this test needs python3 and python3-jsonschema" >&2
    exit 1
fi
if ! python3 -c 'import jsonschema, referencing' 2>/dev/null; then
    echo "FAIL: python3 cannot import jsonschema (install python3-jsonschema);" \
        "the schema fixtures were NOT checked" >&2
    python3 -c 'import jsonschema, referencing' >&2 || true
    exit 1
fi

exec python3 - "$src" <<'PY'
import json
import math
import os
import sys

import jsonschema
from referencing import Registry, Resource

src = sys.argv[1]
schema_dir = os.path.join(src, "schemas", "events")
fixtures = os.path.join(src, "tests", "fixtures")


def load_schema(name):
    with open(os.path.join(schema_dir, name), encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


envelope = load_schema("envelope.schema.json")
recruitment = load_schema("recruitment.schema.json")
registry = Registry().with_resources(
    [(s["$id"], Resource.from_contents(s)) for s in (envelope, recruitment)])
validators = {
    "envelope": jsonschema.Draft202012Validator(envelope, registry=registry),
    "recruitment": jsonschema.Draft202012Validator(recruitment, registry=registry),
}


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


def parse(path):
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
        doc = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constant)
    except (UnicodeDecodeError, ValueError, NotJson) as e:
        raise NotJson(str(e))
    check_values(doc)
    return doc


ENVELOPE_CODES = {"not_json", "empty", "not_object", "missing_event_id", "bad_event_id",
                  "missing_event_type", "bad_event_type", "missing_area", "bad_area",
                  "missing_occurred_at", "bad_occurred_at"}
failures = []
counts = {"valid": 0, "invalid": 0}
for split in ("valid", "invalid"):
    d = os.path.join(fixtures, split, "recruitment")
    names = sorted(n for n in os.listdir(d) if not n.startswith("."))
    counts[split] = len(names)
    for name in names:
        path = os.path.join(d, name)
        try:
            doc = parse(path)
        except NotJson as e:
            if split == "valid":
                failures.append("%s/%s: not JSON as the consumer reads it (%s)" % (split, name, e))
            continue
        errors = sorted(validators["recruitment"].iter_errors(doc), key=lambda e: list(e.path))
        if split == "valid" and errors:
            failures.append("%s/%s: schema refuses it: %s" % (split, name, errors[0].message))
        elif split == "invalid" and not errors:
            failures.append("%s/%s: schema accepts it" % (split, name))
        if split == "invalid" and "__" in name:
            code = name.split("__", 1)[0]
            env_ok = validators["envelope"].is_valid(doc)
            # Envelope codes must fail the envelope alone; the handler's
            # codes (role, stage, counts...) come with a sound envelope.
            if code not in ENVELOPE_CODES and not env_ok:
                failures.append("%s/%s: envelope schema refuses a sound envelope" % (split, name))
            if code in ENVELOPE_CODES and env_ok:
                failures.append("%s/%s: envelope schema accepts it (%s)" % (split, name, code))
        if split == "valid" and not validators["envelope"].is_valid(doc):
            failures.append("%s/%s: envelope schema refuses it" % (split, name))

if counts["valid"] < 8 or counts["invalid"] < 10:
    failures.append("too few fixtures: %(valid)d valid, %(invalid)d invalid" % counts)

for f in failures:
    print("FAIL:", f, file=sys.stderr)
if failures:
    print("FAIL: %d disagreement(s) between schemas/events and the fixtures" % len(failures),
          file=sys.stderr)
    sys.exit(1)
print("ok: %(valid)d valid and %(invalid)d invalid recruitment fixtures agree with the schemas"
      % counts)
PY
