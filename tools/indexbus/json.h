/*
 * json.h - the one small JSON writer every `--json` output goes through:
 * compact, one document per line, keys in the order written. Strings are
 * escaped for JSON (control characters as \u00XX; bytes >= 0x80 pass
 * through, so UTF-8 names stay readable; a name that is not UTF-8 is the
 * caller's problem only as far as a strict parser goes).
 */
#ifndef INDEXBUS_CLI_JSON_H
#define INDEXBUS_CLI_JSON_H

#include <stdint.h>
#include <stdio.h>

#define CLI_JSON_DEPTH 16

/* Every document's "version": bump it when a documented key changes
 * meaning or goes away (added keys keep it). docs/CLI.md, "JSON". */
#define CLI_JSON_VERSION 1

typedef struct cli_json {
    FILE *out;
    int depth;
    int first[CLI_JSON_DEPTH]; /* nothing written yet at this level */
    char close[CLI_JSON_DEPTH]; /* '}' or ']' for each open level */
} cli_json;

void cli_json_init(cli_json *j, FILE *out);
/* key is NULL inside arrays and for the document itself. */
void cli_json_object(cli_json *j, const char *key);
void cli_json_array(cli_json *j, const char *key);
void cli_json_end(cli_json *j);          /* closes the innermost object or array */
void cli_json_done(cli_json *j);         /* ends the document: a newline */
void cli_json_str(cli_json *j, const char *key, const char *value); /* NULL: null */
void cli_json_u64(cli_json *j, const char *key, uint64_t value);
void cli_json_double(cli_json *j, const char *key, double value);
void cli_json_bool(cli_json *j, const char *key, int value);
void cli_json_null(cli_json *j, const char *key);

#endif /* INDEXBUS_CLI_JSON_H */
