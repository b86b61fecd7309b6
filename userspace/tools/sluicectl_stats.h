/* SPDX-License-Identifier: MIT */
/*
 * sluicectl's read-only commands, served by the stats socket (docs/stats.md): `status`,
 * `sessions`, `session ID`, `metrics` and the live `top` view. Tables with human units for
 * people, the daemon's JSON as is with --json.
 */
#ifndef SLUICE_TOOLS_SLUICECTL_STATS_H
#define SLUICE_TOOLS_SLUICECTL_STATS_H

#include <stdbool.h>

/* Whether argv (the command and its arguments) is one of the stats socket's commands. */
bool ctl_stats_is_command(int argc, char **argv);

/* Runs it against the stats socket at path; returns the exit status. */
int ctl_stats_run(const char *path, bool json, int argc, char **argv);

#endif
