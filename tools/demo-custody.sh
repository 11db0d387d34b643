#!/usr/bin/env bash
# The custody part of the demo (run by tools/demo.sh, or alone after the
# stack is up with .stack/env and a build): a year of generated custody
# events for the force's districts, arrests weighted by their Census
# population, in which black people are arrested at 3 times the rate of
# white people, force is used on them 1.3 times as often once arrested,
# Taser twice as often, strip searches 1.5 times as often, and they are
# diverted from court (caution, community resolution, penalty notice,
# cannabis warning) 0.7 times as often; then the custody figures for the
# whole force as an analyst or a scrutiny panel would read them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
BIN=${EQM_BUILD_DIR:-$root/build}/bin
SHARED=${EQM_SHARED_DIR:-$root/../shared}
CENSUS=$SHARED/data/census-2021/ethnic-group-by-district.csv
# shellcheck disable=SC1091
source "${EQM_STACK_DIR:-$root/.stack}/env"
AREA=${EQM_DEMO_AREA:-cambridgeshire}
DISTRICTS=${EQM_DEMO_DISTRICTS:-E06000031,E07000008,E07000009,E07000010,E07000011,E07000012}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
q() { psql -X -q -P pager=off -v ON_ERROR_STOP=1 "$EQM_PG_URL" "$@"; }

# Alone, the population and the force area may not be there yet.
"$BIN/eqm-admin" migrate >/dev/null
if [ "$(psql -XAtq "$EQM_PG_URL" -c "SELECT count(*) FROM equality.area_population
                                     WHERE area = '$AREA'")" = 0 ]; then
    "$BIN/eqm-admin" load-population "$CENSUS" >/dev/null
    "$BIN/eqm-admin" define-area "$AREA" "$DISTRICTS" >/dev/null
fi

say "Generating a year of custody events for $AREA (eqm-replay synth custody)"
# Deterministic event ids: running the demo again counts nothing twice.
"$BIN/eqm-replay" synth custody --seed 2025 --events 40000 --area "$DISTRICTS" \
    --census "$CENSUS" --end 2025-06-30 --days 365 --duplicates 0.02 \
    -m arrest:black=3,use_of_force:black=1.3,taser:black=2,strip_search:black=1.5 \
    -m diversion:black=0.7

say "Counting (eqm-custody; exits when idle)"
"$BIN/eqm-custody" --exit-when-idle 3 --force-area "$AREA" --log-level warn

say "Custody and use of force per 1,000 people, $AREA, 365 days (ratio to White, 95% CI)"
q -c "SELECT replace(measure, 'custody.', '') AS measure,
             max(n) FILTER (WHERE grp = 'white') AS white,
             round(max(rate) FILTER (WHERE grp = 'white')::numeric, 2) AS white_per_1000,
             max(n) FILTER (WHERE grp = 'black') AS black,
             round(max(rate) FILTER (WHERE grp = 'black')::numeric, 2) AS black_per_1000,
             max(round(ratio::numeric, 2) || coalesce(' (' || round(ci_low::numeric, 2) || '-'
                 || round(ci_high::numeric, 2) || ')', '')) FILTER (WHERE grp = 'black') AS black_ratio,
             max(round(ratio::numeric, 2) || coalesce(' (' || round(ci_low::numeric, 2) || '-'
                 || round(ci_high::numeric, 2) || ')', '')) FILTER (WHERE grp = 'asian') AS asian_ratio,
             max(round(ratio::numeric, 2) || coalesce(' (' || round(ci_low::numeric, 2) || '-'
                 || round(ci_high::numeric, 2) || ')', '')) FILTER (WHERE grp = 'bme') AS bme_ratio
        FROM equality.disparity
       WHERE area = '$AREA' AND dimension = 'ethnicity' AND window_days = 365
         AND (measure IN ('custody.arrests', 'custody.detentions', 'custody.strip_searches',
                          'custody.use_of_force')
              OR measure LIKE 'custody.use_of_force_by_tactic.%')
       GROUP BY measure
      HAVING coalesce(max(n) FILTER (WHERE grp IN ('white', 'black')), 0) > 0
       ORDER BY measure LIKE '%by_tactic%', max(n) FILTER (WHERE grp = 'white') DESC NULLS LAST"

say "Strip searches, diversion and charging, $AREA, 365 days (share, ratio to White, 95% CI)"
q -c "SELECT replace(measure, 'custody.', '') AS measure, grp AS \"group\",
             n || ' / ' || base AS count, round(100 * rate::numeric, 1) || '%' AS share,
             round(ratio::numeric, 2) AS ratio,
             round(ci_low::numeric, 2) || ' to ' || round(ci_high::numeric, 2) AS \"95% CI\",
             coalesce(note, '') AS note
        FROM equality.disparity
       WHERE area = '$AREA' AND dimension = 'ethnicity' AND window_days = 365
         AND measure IN ('custody.strip_search_share', 'custody.out_of_court_share',
                         'custody.charge_share')
         AND grp IN ('white', 'black', 'asian', 'bme')
       ORDER BY measure DESC, grp = 'white', grp"

q -At -c "SELECT 'In the year to ' || to_char(window_end, 'FMDD FMMonth YYYY') || ', black people in '
                 || initcap('$AREA') || ' had force used on them at ' || round(ratio::numeric, 1)
                 || ' times the rate of white people (95% CI ' || round(ci_low::numeric, 1)
                 || ' to ' || round(ci_high::numeric, 1) || '; ' || n || ' uses of force).'
            FROM equality.disparity
           WHERE measure = 'custody.use_of_force' AND area = '$AREA'
             AND dimension = 'ethnicity' AND grp = 'black' AND window_days = 365"
