/*
 * commands.h - the subcommands of kvbench. Each takes argc/argv after the
 * subcommand name (argv[0] is the subcommand) and returns the exit status:
 * 0 success, 1 a run or a verification failed, 2 usage or config error.
 */
#ifndef KVB_CLI_COMMANDS_H
#define KVB_CLI_COMMANDS_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

#include "config/config.h"

#define KVB_EXIT_OK 0
#define KVB_EXIT_FAILED 1
#define KVB_EXIT_USAGE 2
#define KVB_EXIT_INTERRUPTED 130

int kvb_cmd_run(int argc, char **argv);
int kvb_cmd_sweep(int argc, char **argv);
int kvb_cmd_merge(int argc, char **argv);
int kvb_cmd_plot(int argc, char **argv);
int kvb_cmd_backends(int argc, char **argv);
int kvb_cmd_columns(int argc, char **argv);
int kvb_cmd_crash(int argc, char **argv);

/* getopt_long for every command's options, without getopt's own messages:
 * returns the next option as getopt_long does, or '?' after printing what is
 * wrong as "kvbench CMD: ...": an unknown option (with the closest long
 * option when one is near: --jobz -> --jobs), an ambiguous abbreviation, a
 * value missing or given to an option that takes none. The caller exits
 * with KVB_EXIT_USAGE on '?'; shortopts must not start with ':', '+' or '-'. */
int kvb_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longopts);

/* The options of a command whose only option is -h/--help (merge,
 * backends): parses them with kvb_getopt and prints help to stdout on
 * --help. Returns the exit status to return at once, or -1 to go on with
 * the operands argv[optind..]. */
int kvb_help_only(const char *cmd, int argc, char **argv, const char *help);

/* Collects --set arguments: a growing array of "KEY=VALUE" pointers into argv. */
struct kvb_sets {
    const char **v;
    size_t n, cap;
};
int kvb_sets_add(struct kvb_sets *s, const char *kv);
void kvb_sets_free(struct kvb_sets *s);

/* Loads a sweep and prints its error (to stderr) on failure. */
int kvb_load_or_complain(const char *path, const struct kvb_sets *sets, struct kvb_sweep **out);

/* The operands after a command's options: at most one config file (none:
 * the defaults), loaded with sets. Prints what is wrong, naming cmd, and
 * returns -1 on error. */
int kvb_load_operand(const char *cmd, int argc, char **argv, int first,
                     const struct kvb_sets *sets, struct kvb_sweep **out);

#endif
