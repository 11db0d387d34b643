# shellcheck shell=bash
#
# tests/integration/schema_fixtures_lib.sh - sourced by the schema fixture
# tests (test_schema_fixtures.sh, test_custody_schema_fixtures.sh,
# test_schema_fixtures_recruitment.sh). Not named test_*.sh: ctest runs
# only those.
#
#   eqm_schema_fixtures TOPIC MIN_VALID MIN_INVALID RULE CODES [EXTRA_PY [ARG...]]
#
# checks schemas/events/TOPIC.schema.json against the fixture files under
# tests/fixtures/{valid,invalid}/TOPIC/. Every valid fixture must satisfy
# the topic schema and envelope.schema.json, every invalid one must not
# satisfy the topic schema: the split tests/unit/TOPIC/test_fixtures.c
# holds the C consumer to. A file that is not JSON as the consumer reads it
# (jansson with JSON_REJECT_DUPLICATES: no duplicate keys, no NaN/Infinity,
# strictly valid UTF-8 with no lone surrogate or NUL, integers within 64
# bits) counts as invalid here too. Fewer than MIN_VALID / MIN_INVALID files
# fail.
#
# Invalid files named "<code>__*" are also checked against
# envelope.schema.json, by the service's RULE over CODES (space-separated):
#   sound    the codes listed come with a sound envelope (the handler
#            refuses them) and must pass it; every other code must fail it;
#   unsound  the codes listed are the envelope's own and must fail it;
#            every other code must pass it.
#
# EXTRA_PY, when given, is Python run after the fixture checks with the
# same names in scope (validators, parse, failures, counts, TOPIC, and
# extra_args = the ARGs); it may append to failures and set ok_detail
# (words after "fixtures" in the ok line).
#
# Needs python3 with jsonschema: Debian's python3-jsonschema (4.10, which
# resolves $ref with RefResolver) or a newer one (with `referencing`); the
# first interpreter that has it wins ($EQM_TEST_PYTHON, then
# /usr/bin/python3, then python3). Starts no server. ctest sets
# EQM_SOURCE_DIR; run by hand the tree is found from this file.

eqm_schema_fixtures() {
    local topic=$1 min_valid=$2 min_invalid=$3 rule=$4 codes=$5 extra=${6:-}
    shift $(($# < 6 ? $# : 6))
    local src=${EQM_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
    local py='' candidate

    for candidate in ${EQM_TEST_PYTHON:-} /usr/bin/python3 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import jsonschema' 2>/dev/null; then
            py=$candidate
            break
        fi
    done
    if [[ -z $py ]]; then
        echo "FAIL: no python3 can import jsonschema (install python3-jsonschema);" \
            "the $topic schema fixtures were NOT checked" >&2
        return 1
    fi

    "$py" - "$src" "$topic" "$min_valid" "$min_invalid" "$rule" "$codes" "$extra" "$@" <<'PY'
import json
import math
import os
import sys

import jsonschema

src, TOPIC, min_valid, min_invalid, rule, codes, extra = sys.argv[1:8]
extra_args = sys.argv[8:]
min_valid, min_invalid = int(min_valid), int(min_invalid)
codes = set(codes.split())
if rule not in ("sound", "unsound"):
    sys.exit("FAIL: envelope rule must be sound or unsound, not %r" % rule)
schema_dir = os.path.join(src, "schemas", "events")
fixtures = os.path.join(src, "tests", "fixtures")


def sound_envelope(code):
    """Whether an invalid file refused with code has a sound envelope."""
    return (code in codes) == (rule == "sound")


def load_schema(name):
    with open(os.path.join(schema_dir, name), encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


envelope = load_schema("envelope.schema.json")
topic_schema = load_schema(TOPIC + ".schema.json")
try:  # jsonschema >= 4.18
    from referencing import Registry, Resource

    registry = Registry().with_resources(
        [(s["$id"], Resource.from_contents(s)) for s in (envelope, topic_schema)])
    validators = {name: jsonschema.Draft202012Validator(s, registry=registry)
                  for name, s in (("envelope", envelope), (TOPIC, topic_schema))}
except ImportError:  # Debian 12's 4.10
    store = {s["$id"]: s for s in (envelope, topic_schema)}
    validators = {name: jsonschema.Draft202012Validator(
        s, resolver=jsonschema.RefResolver.from_schema(s, store=store))
        for name, s in (("envelope", envelope), (TOPIC, topic_schema))}


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
    d = os.path.join(fixtures, split, TOPIC)
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
        errors = sorted(validators[TOPIC].iter_errors(doc), key=lambda e: list(e.path))
        if split == "valid" and errors:
            failures.append("%s/%s: schema refuses it: %s" % (split, name, errors[0].message))
        elif split == "invalid" and not errors:
            failures.append("%s/%s: schema accepts it" % (split, name))
        env_ok = validators["envelope"].is_valid(doc)
        if split == "valid" and not env_ok:
            failures.append("%s/%s: envelope schema refuses it" % (split, name))
        if split == "invalid" and "__" in name:
            code = name.split("__", 1)[0]
            if sound_envelope(code) and not env_ok:
                failures.append("%s/%s: envelope schema refuses a sound envelope" % (split, name))
            if not sound_envelope(code) and env_ok:
                failures.append("%s/%s: envelope schema accepts it (%s)" % (split, name, code))

if counts["valid"] < min_valid or counts["invalid"] < min_invalid:
    failures.append("too few fixtures: %(valid)d valid, %(invalid)d invalid" % counts)

ok_detail = ""
if extra:
    exec(extra)

for f in failures:
    print("FAIL:", f, file=sys.stderr)
if failures:
    print("FAIL: %d disagreement(s) between schemas/events and the %s fixtures"
          % (len(failures), TOPIC), file=sys.stderr)
    sys.exit(1)
try:
    from importlib.metadata import version
    jsonschema_version = version("jsonschema")
except Exception:
    jsonschema_version = "?"
print("ok: %d valid and %d invalid %s fixtures%s agree with the schemas (python %s, "
      "jsonschema %s)" % (counts["valid"], counts["invalid"], TOPIC, ok_detail, sys.executable,
                          jsonschema_version))
PY
}
