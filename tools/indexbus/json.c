/* json.c - the compact JSON writer (json.h). */
#include <inttypes.h>
#include <math.h>

#include "json.h"

void cli_json_init(cli_json *j, FILE *out)
{
    j->out = out;
    j->depth = 0;
    j->first[0] = 1;
}

static void put_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

/* The separator and key before a value at the current level. */
static void member(cli_json *j, const char *key)
{
    if (!j->first[j->depth])
        fputc(',', j->out);
    j->first[j->depth] = 0;
    if (key != NULL) {
        put_string(j->out, key);
        fputc(':', j->out);
    }
}

static void open_level(cli_json *j, const char *key, int c)
{
    member(j, key);
    fputc(c, j->out);
    if (j->depth + 1 < CLI_JSON_DEPTH) /* deeper than any document here */
        j->depth++;
    j->first[j->depth] = 1;
    j->close[j->depth] = c == '{' ? '}' : ']';
}

void cli_json_object(cli_json *j, const char *key) { open_level(j, key, '{'); }
void cli_json_array(cli_json *j, const char *key) { open_level(j, key, '['); }

void cli_json_end(cli_json *j)
{
    if (j->depth == 0)
        return;
    fputc(j->close[j->depth], j->out);
    j->depth--;
}

void cli_json_done(cli_json *j)
{
    fputc('\n', j->out);
    j->depth = 0;
    j->first[0] = 1;
}

void cli_json_str(cli_json *j, const char *key, const char *value)
{
    member(j, key);
    if (value == NULL)
        fputs("null", j->out);
    else
        put_string(j->out, value);
}

void cli_json_u64(cli_json *j, const char *key, uint64_t value)
{
    member(j, key);
    fprintf(j->out, "%" PRIu64, value);
}

void cli_json_double(cli_json *j, const char *key, double value)
{
    member(j, key);
    if (isfinite(value))
        fprintf(j->out, "%.6g", value);
    else
        fputs("null", j->out); /* JSON has no NaN or infinity */
}

void cli_json_bool(cli_json *j, const char *key, int value)
{
    member(j, key);
    fputs(value ? "true" : "false", j->out);
}

void cli_json_null(cli_json *j, const char *key)
{
    member(j, key);
    fputs("null", j->out);
}
