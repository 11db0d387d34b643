#include "eqm/bme.h"

#include <string.h>

bool eqm_bme_member(const char *grp) {
    /* The enum is the definition: the names of its bme groups, exactly. */
    for (int g = 0; g < EQM_ETH__COUNT; g++)
        if (eqm_ethnicity_is_bme((enum eqm_ethnic_group)g) &&
            !strcmp(grp, eqm_ethnicity_name((enum eqm_ethnic_group)g)))
            return true;
    return false;
}

int eqm_bme_add(const char *grp, const int64_t *counts, int n, int64_t *sum) {
    if (!eqm_bme_member(grp))
        return 0;
    for (int i = 0; i < n; i++)
        sum[i] += counts[i];
    return 1;
}
