#!/usr/bin/env bash
# test_schema_fixtures_recruitment.sh - recruitment.schema.json against the
# fixture files under tests/fixtures/{valid,invalid}/recruitment/ (the split
# tests/unit/services/recruitment/test_fixtures.c holds the C consumer to; the checks
# are schema_fixtures_lib.sh's). Of the invalid files named "<code>__*",
# those with an envelope reason code must fail envelope.schema.json, those
# with a handler's code (role, stage, counts, ...) must pass it (their
# envelope is sound; the rest is the topic's business).
#
# Needs python3 with jsonschema (Debian python3-jsonschema) and starts no
# server. ctest sets EQM_SOURCE_DIR; run by hand it finds the tree itself.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=schema_fixtures_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/schema_fixtures_lib.sh"

envelope_codes="not_json empty not_object missing_event_id bad_event_id
    missing_event_type bad_event_type missing_area bad_area
    missing_occurred_at bad_occurred_at"
eqm_schema_fixtures recruitment 8 10 unsound "$envelope_codes"
