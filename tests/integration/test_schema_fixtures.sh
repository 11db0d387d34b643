#!/usr/bin/env bash
# test_schema_fixtures.sh - schemas/events/stop-search.schema.json against
# the fixture files under tests/fixtures/{valid,invalid}/stop-search/ (the
# split tests/unit/services/stop-search/test_fixtures.c holds the C consumer to; the
# checks are schema_fixtures_lib.sh's). Of the invalid files named
# "<code>__*", only unknown_event_type ones may pass envelope.schema.json
# (their envelope is sound; the type is the topic's business).
#
# Needs python3 with jsonschema (Debian python3-jsonschema) and starts no
# server. ctest sets EQM_SOURCE_DIR; run by hand it finds the tree itself.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=schema_fixtures_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/schema_fixtures_lib.sh"

eqm_schema_fixtures stop-search 8 10 sound "unknown_event_type"
