#!/usr/bin/env bash
# The recruitment part of the demo (run by tools/demo.sh, or alone after the
# stack is up with .stack/env and a build): a generated campaign in which
# black candidates pass the interview at 0.7 times the rate of white ones,
# and a workforce built to the force's own figures (4.6% BME officers
# against 9.7% of the population), through eqm-recruitment; then the
# attrition and workforce views as an analyst would read them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
BIN=${EQM_BUILD_DIR:-$root/build}/bin
# shellcheck disable=SC1091
source "$root/.stack/env"
AREA=${EQM_DEMO_AREA:-cambridgeshire}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
q() { psql -X -q -P pager=off -v ON_ERROR_STOP=1 "$EQM_PG_URL" "$@"; }

say "Generating a recruitment campaign and a workforce (eqm-replay synth recruitment)"
"$BIN/eqm-replay" synth recruitment --seed 2025 --role police_officer --campaign demo-2025 \
    --area "$AREA" --candidates white=600,black=150,asian=200,mixed=80,other=40,not_stated=30 \
    --multiplier black:interview=0.7 --multiplier asian:assessment_centre=0.85 \
    --headcount white=954,asian=20,black=12,mixed=10,other=4 \
    --joiners white=95,asian=3,black=3,mixed=1 --leavers white=95,asian=3,black=3,mixed=1 \
    --service-years white=10,asian=6.2,black=6.2,mixed=6.2

say "Counting (eqm-recruitment; exits when idle)"
"$BIN/eqm-recruitment" --exit-when-idle 3 --force-area "$AREA" \
    --log-level warn

say "Attrition by ethnicity, police officers, 91 days (comparison: white)"
q -c "SELECT stage, grp AS \"group\", entered, passed, failed, withdrawn,
             round(100 * pass_rate::numeric, 1) || '%' AS pass_rate,
             round(100 * comparison_pass_rate::numeric, 1) || '%' AS white_rate,
             round(adverse_impact_ratio::numeric, 2) AS ratio,
             round(ci_low::numeric, 2) || ' to ' || round(ci_high::numeric, 2) AS \"95% CI\",
             CASE WHEN p_value < 0.001 THEN '<0.001' ELSE round(p_value::numeric, 3)::text END AS p,
             CASE WHEN four_fifths_breach THEN 'BREACH' ELSE '' END AS \"4/5 rule\",
             CASE WHEN significant THEN 'yes' ELSE '' END AS significant
        FROM equality.attrition
       WHERE role = 'police_officer' AND dimension = 'ethnicity' AND window_days = 91
         AND grp IN ('black', 'asian', 'bme', 'white')
       ORDER BY stage_order, grp"

say "Workforce by ethnicity, police officers in $AREA (365 days)"
q -c "SELECT grp AS \"group\", headcount, round(100 * share::numeric, 1) || '%' AS share,
             round(100 * population_share::numeric, 1) || '%' AS population,
             round(representation_ratio::numeric, 2) AS representation,
             joiners, round(100 * joiners_share::numeric, 2) || '%' AS of_joiners, leavers,
             round(100 * leaver_rate::numeric, 1) || '%' AS leaver_rate,
             round(leaver_rate_ratio::numeric, 2) AS leaver_ratio,
             round(mean_service_years_of_leavers::numeric, 1) AS service_years
        FROM equality.workforce
       WHERE role = 'police_officer' AND area = '$AREA' AND dimension = 'ethnicity'
         AND window_days = 365
       ORDER BY grp = 'white', grp = 'bme', grp"
