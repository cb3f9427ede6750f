/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CE_COMMANDS_H
#define CE_COMMANDS_H

/* The recorder commands; argv: the arguments after the subcommand name. */
int ce_cmd_trace(int argc, char **argv);
int ce_cmd_audit(int argc, char **argv);
int ce_cmd_report(int argc, char **argv);
int ce_cmd_export(int argc, char **argv);
int ce_cmd_snapshot(int argc, char **argv);

#endif /* CE_COMMANDS_H */
