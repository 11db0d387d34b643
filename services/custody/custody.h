/*
 * custody.h - the custody and use-of-force service's domain logic.
 *
 * A custody event (CONTRACT.md, topic custody.events: arrest, detention,
 * strip_search, use_of_force, disposal) becomes one row of increments per
 * dimension (ethnicity, gender, age range; officer_defined_ethnicity when the
 * event carries it; self_defined_ethnicity), for its area and for the whole
 * force, in equality.custody_daily. The engine does the rest (batching,
 * de-duplication, offsets, dead letters, figures).
 */
#ifndef EQM_CUSTODY_H
#define EQM_CUSTODY_H

#include <stdbool.h>

#include "eqm/service.h"

/* Count columns of equality.custody_daily, in this order. */
enum {
    CU_ARRESTS = 0,    /* arrest events */
    CU_DETENTIONS,     /* detention events (booked into custody) */
    CU_STRIP_SEARCHES, /* strip_search events */
    CU_USE_OF_FORCE,   /* use_of_force events (incidents, not tactics) */
    CU_DISPOSALS,      /* disposal events, any outcome */
    CU_OUT_OF_COURT,   /* disposals: caution, community_resolution,
                          penalty_notice or cannabis_warning */
    CU_CHARGED,        /* disposals: charged */
    /* Uses of force in which the tactic was used (once per incident),
     * "tactic_<name>", in eqm_custody_tactics[] order. */
    CU_T_HANDCUFFING,
    CU_T_RESTRAINT,
    CU_T_LIMB_RESTRAINTS,
    CU_T_UNARMED_SKILLS,
    CU_T_SPIT_GUARD,
    CU_T_TASER_DRAWN,
    CU_T_TASER_AIMED,
    CU_T_TASER_DISCHARGED,
    CU_T_BATON,
    CU_T_IRRITANT_SPRAY,
    CU_T_DOG,
    CU_T_FIREARM,
    CU_T_OTHER,             /* any tactic not in the list */
    CU_TACTIC_NOT_RECORDED, /* uses of force that name no tactic */
    CU_UOF_CUSTODY,         /* uses of force with setting "custody" */
    CU_UOF_COMMUNITY,       /* uses of force with setting "community" */
    CU__COUNT
};

#define CU_TACTIC_FIRST CU_T_HANDCUFFING

/* The closed list of tactics, one count column ("tactic_<name>") and one
 * measure ("custody.use_of_force_by_tactic.<name>") each. The last one is
 * "other": every tactic string that is not a known name or alias. */
#define EQM_CUSTODY_N_TACTICS 13
extern const char *const eqm_custody_tactics[EQM_CUSTODY_N_TACTICS];

/* The service description handed to the engine. */
extern const struct eqm_service eqm_custody_service;
/* Its alert measure families (custody_alerts.c), for the catalogue. */
extern const struct eqm_alert_source eqm_custody_alerts;

/*
 * Index into eqm_custody_tactics of a tactic as a producer wrote it:
 * ASCII case, surrounding blanks and the separators ' ', '-', '/' do not
 * matter ("Taser fired" = "taser_fired"), and documented aliases map to
 * their tactic (taser_fired -> taser_discharged, ground_restraint ->
 * restraint, ...; schemas/events/README.md). Returns -1 for a blank string
 * (no tactic), the index of "other" for anything unknown; *known (if not
 * NULL) says whether the name or an alias matched.
 */
int eqm_custody_tactic(const char *s, bool *known);

/* Group of a gender/sex value: male, female, other, not_stated. */
const char *eqm_custody_gender(const char *s);

/* Group of a police.uk age band, or not_stated. */
const char *eqm_custody_age_band(const char *s);

/* Band of an age in whole years (police.uk bands), not_stated if < 0 or
 * > 130. */
const char *eqm_custody_age_band_of_years(long long years);

#endif /* EQM_CUSTODY_H */
