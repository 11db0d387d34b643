/*
 * synth_custody_cmd.h - `eqm-replay synth custody ...`: synthetic custody
 * events with known disparities, produced to Kafka or written as JSON
 * lines, with the exact counts they should give (the generator itself is
 * tools/lib/include/eqm/tools/synth_custody.h).
 */
#ifndef EQM_REPLAY_SYNTH_CUSTODY_CMD_H
#define EQM_REPLAY_SYNTH_CUSTODY_CMD_H

/* argv[0] is "custody". Returns the exit status. */
int eqm_replay_synth_custody(int argc, char **argv);

#endif
