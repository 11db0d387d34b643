#!/usr/bin/env bash
# The demo: real police.uk data through the real services, then the figures
# as an analyst or a scrutiny panel would read them. Run by `./dev.sh demo`
# after the stack is up (.stack/env).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
BIN=${EQM_BUILD_DIR:-$root/build}/bin
SHARED=${EQM_SHARED_DIR:-$root/../shared}
CSV=$SHARED/data/police-uk/2025-07-cambridgeshire-stop-and-search.csv
CENSUS=$SHARED/data/census-2021/ethnic-group-by-district.csv
# shellcheck disable=SC1091
source "$root/.stack/env"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
q() { psql -X -q -P pager=off -v ON_ERROR_STOP=1 "$EQM_PG_URL" "$@"; }

say "Reference data: Census 2021 population, and the force area"
"$BIN/eqm-admin" load-population "$CENSUS"
"$BIN/eqm-admin" define-area cambridgeshire \
    E06000031,E07000008,E07000009,E07000010,E07000011,E07000012
"$BIN/eqm-admin" areas

say "Replaying police.uk stop and search, July 2025, Cambridgeshire"
"$BIN/eqm-replay" police-uk --area cambridgeshire "$CSV"

say "Counting (eqm-stop-search; exits when idle)"
"$BIN/eqm-stop-search" --exit-when-idle 3 --force-area cambridgeshire --log-level warn

say "Stop and search: how many times more likely than White people (91 days)"
q -c "SELECT grp AS \"group\", n AS searches, base AS population,
             round(rate::numeric, 2) AS per_1000, round(ratio::numeric, 2) AS ratio,
             round(ci_low::numeric, 2) || ' to ' || round(ci_high::numeric, 2) AS \"95% CI\",
             coalesce(note, '') AS note
        FROM equality.disparity
       WHERE measure = 'stop_search.searches' AND area = 'cambridgeshire'
         AND dimension = 'ethnicity' AND window_days = 91
       ORDER BY ratio DESC NULLS LAST, grp"

say "Outcomes by self-defined ethnicity (91 days): share, and ratio to White"
q -c "SELECT measure, grp AS \"group\", n || ' / ' || base AS count,
             round(100 * rate::numeric, 1) || '%' AS share,
             round(ratio::numeric, 2) AS ratio,
             round(ci_low::numeric, 2) || ' to ' || round(ci_high::numeric, 2) AS \"95% CI\"
        FROM equality.disparity
       WHERE measure IN ('stop_search.find_rate', 'stop_search.arrest_rate')
         AND area = 'cambridgeshire' AND dimension = 'ethnicity' AND window_days = 91
       ORDER BY measure, grp"

# The other services' parts of the demo, each run after the stack is up.
for part in custody recruitment alerts notify; do
    if [ -x "$root/tools/demo-$part.sh" ]; then
        "$root/tools/demo-$part.sh"
    fi
done

say "Service state"
"$BIN/eqm-admin" status
printf '\nThe figures are in PostgreSQL: psql "%s" -c "SELECT * FROM equality.disparity"\n' \
    "$EQM_PG_URL"

# Last: the dashboard's address and one pack per panel.
"$root/tools/demo-web.sh"
