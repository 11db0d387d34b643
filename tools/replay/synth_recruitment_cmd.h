/*
 * synth_recruitment_cmd.h - `eqm-replay synth recruitment ...`: synthetic
 * recruitment and workforce events, produced to Kafka or written as JSON
 * lines, with the exact counts they should give (the generator itself is
 * tools/lib/include/eqm/tools/synth_recruitment.h).
 */
#ifndef EQM_REPLAY_SYNTH_RECRUITMENT_CMD_H
#define EQM_REPLAY_SYNTH_RECRUITMENT_CMD_H

/* argv[0] is "recruitment". Returns the exit status. */
int eqm_replay_synth_recruitment(int argc, char **argv);

#endif
