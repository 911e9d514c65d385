/* args.c - a small option parser ("--opt VALUE", "--opt=VALUE", "--",
 * options and positionals in any order) and strict number parsing. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_parser_init(cli_parser *p, const char *cmd, int argc, char **argv,
                     const cli_opt *opts)
{
    p->cmd = cmd;
    p->argc = argc;
    p->argv = argv;
    p->next = 0;
    p->positional_only = 0;
    p->opts = opts;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "indexbus %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: indexbus %s %s\n(see 'indexbus help')\n", cmd, cli_synopsis(cmd));
    return CLI_USAGE;
}

/* Index of the option spelled by the first n bytes of arg, or -1. */
static int find_opt(const cli_opt *opts, const char *arg, size_t n)
{
    for (int k = 0; opts[k].name != NULL; k++)
        if (strlen(opts[k].name) == n && strncmp(opts[k].name, arg, n) == 0)
            return k;
    return -1;
}

/* Fill *value for option k from "=VALUE" or the next argument. */
static int take_value(cli_parser *p, int k, const char *eq, const char **value)
{
    const cli_opt *o = &p->opts[k];
    if (!o->has_value) {
        if (eq != NULL) {
            cli_usage_error(p->cmd, "option %s takes no value", o->name);
            return CLI_ARG_BAD;
        }
        return k;
    }
    if (eq != NULL) {
        *value = eq + 1;
    } else if (p->next < p->argc) {
        *value = p->argv[p->next++];
    } else {
        cli_usage_error(p->cmd, "option %s needs a value", o->name);
        return CLI_ARG_BAD;
    }
    return k;
}

int cli_next(cli_parser *p, const char **value)
{
    *value = NULL;
    if (p->next >= p->argc)
        return CLI_ARG_END;
    const char *arg = p->argv[p->next++];
    /* region names start with '/' or a letter, never '-'; "-" alone is a value */
    if (p->positional_only || arg[0] != '-' || arg[1] == '\0') {
        *value = arg;
        return CLI_ARG_POSITIONAL;
    }
    if (strcmp(arg, "--") == 0) {
        p->positional_only = 1;
        return cli_next(p, value);
    }
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
        printf("usage: indexbus %s %s\n", p->cmd, cli_synopsis(p->cmd));
        return CLI_ARG_HELP;
    }
    const char *eq = strchr(arg, '=');
    int k = find_opt(p->opts, arg, eq ? (size_t)(eq - arg) : strlen(arg));
    if (k < 0) {
        cli_usage_error(p->cmd, "unknown option '%s'", arg);
        return CLI_ARG_BAD;
    }
    return take_value(p, k, eq, value);
}

int cli_parse_all(const char *cmd, int argc, char **argv, const cli_opt *opts,
                  cli_handler handle, void *ctx)
{
    cli_parser p;
    const char *value;
    int opt;
    cli_parser_init(&p, cmd, argc, argv, opts);
    while ((opt = cli_next(&p, &value)) != CLI_ARG_END) {
        if (opt == CLI_ARG_BAD)
            return CLI_USAGE;
        if (opt == CLI_ARG_HELP)
            return CLI_ARG_HELP;
        int rc = handle(ctx, opt, value);
        if (rc != CLI_OK)
            return rc;
    }
    return CLI_OK;
}

int cli_take_name(const char *cmd, const char **name, const char *value)
{
    if (*name != NULL)
        return cli_usage_error(cmd, "unexpected argument '%s'", value);
    *name = value;
    return CLI_OK;
}

int cli_need_name(const char *cmd, const char *name)
{
    return name != NULL ? CLI_OK : cli_usage_error(cmd, "missing region NAME");
}

static int parse_number(const char *text, int base, uint64_t *out)
{
    char *end;
    /* strtoull accepts leading space, '+' and '-'; a count does not */
    if (text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(text, &end, base);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

int cli_parse_u64(const char *cmd, const char *opt, const char *text, uint64_t min,
                  uint64_t max, uint64_t *out)
{
    uint64_t v;
    if (parse_number(text, 10, &v) != 0 || v < min || v > max)
        return cli_usage_error(cmd, "%s wants a whole number in %" PRIu64 "..%" PRIu64
                                    ", not '%s'",
                               opt, min, max, text);
    *out = v;
    return CLI_OK;
}

int cli_parse_u32(const char *cmd, const char *opt, const char *text, uint32_t min,
                  uint32_t max, uint32_t *out)
{
    uint64_t v;
    int rc = cli_parse_u64(cmd, opt, text, min, max, &v);
    if (rc == CLI_OK)
        *out = (uint32_t)v;
    return rc;
}

int cli_parse_octal(const char *cmd, const char *opt, const char *text, uint32_t max,
                    uint32_t *out)
{
    uint64_t v;
    if (parse_number(text, 8, &v) != 0 || v > max)
        return cli_usage_error(cmd, "%s wants an octal mode up to %o, not '%s'", opt, max,
                               text);
    *out = (uint32_t)v;
    return CLI_OK;
}
