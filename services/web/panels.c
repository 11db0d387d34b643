/* panels.c - the panels eqm-web serves, in the order of its menu. */
#include "panel.h"

extern const struct eqm_web_panel eqm_web_stop_search_panel, eqm_web_custody_panel,
    eqm_web_recruitment_panel, eqm_web_alerts_panel;

const struct eqm_web_panel *const eqm_web_panels[] = {
    &eqm_web_stop_search_panel, &eqm_web_custody_panel, &eqm_web_recruitment_panel,
    &eqm_web_alerts_panel};
const size_t eqm_web_n_panels = sizeof(eqm_web_panels) / sizeof(eqm_web_panels[0]);
