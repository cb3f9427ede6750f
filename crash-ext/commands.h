/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CE_COMMANDS_H
#define CE_COMMANDS_H

int ce_cmd_stages(int json);
int ce_cmd_irqs(int json);
int ce_cmd_tasks(int json, int all, const char *table);

/* The state stages, irqs and tasks --all print, for the report. */
struct dtrec_live;
int ce_live_state(struct dtrec_live *l);

/* argv: the arguments after the subcommand name. */
int ce_cmd_trace(int argc, char **argv);
int ce_cmd_audit(int argc, char **argv);
int ce_cmd_report(int argc, char **argv);
int ce_cmd_export(int argc, char **argv);
int ce_cmd_snapshot(int argc, char **argv);

#endif /* CE_COMMANDS_H */
