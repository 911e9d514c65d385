/* nats.c - the NATS side shared by both directions: the connection
 * (servers, auth, TLS, unlimited reconnects), the JetStream context, and
 * finding or creating the stream. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"

const char *br_nats_text(natsStatus s)
{
    static char buf[512];
    natsStatus last = NATS_OK;
    const char *detail = nats_GetLastError(&last);
    const char *cut = detail && detail[0] == '(' ? strstr(detail, "): ") : NULL;
    if (cut != NULL) /* drop cnats' "(file.c:line): " */
        detail = cut + 3;
    if (detail != NULL && *detail != '\0' && strstr(detail, natsStatus_GetText(s)) == NULL)
        snprintf(buf, sizeof buf, "%s (%s)", natsStatus_GetText(s), detail);
    else
        snprintf(buf, sizeof buf, "%s", natsStatus_GetText(s));
    return buf;
}

static volatile int closing; /* our own close: no "disconnected" note */

static void on_disconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    if (!closing)
        br_note(closure, "disconnected from NATS; reconnecting");
}

static atomic_uint reconnects;

unsigned br_reconnects_seen(void)
{
    return atomic_load(&reconnects);
}

static void on_reconnected(natsConnection *nc, void *closure)
{
    atomic_fetch_add(&reconnects, 1);
    char url[256] = "";
    natsConnection_GetConnectedUrl(nc, url, sizeof url);
    br_note(closure, "reconnected to %s", url);
}

/* Split "a,b,c" into the servers list (up to 32). */
static natsStatus set_servers(natsOptions *no, const char *list, char *copy, size_t cap)
{
    const char *urls[32];
    int n = 0;
    snprintf(copy, cap, "%s", list);
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t && n < 32;
         t = strtok_r(NULL, ",", &save))
        urls[n++] = t;
    if (n == 0)
        return NATS_INVALID_ARG;
    return natsOptions_SetServers(no, urls, n);
}

static natsStatus set_auth(const br_opts *o, natsOptions *no)
{
    natsStatus s = NATS_OK;
    if (o->token)
        s = natsOptions_SetToken(no, o->token);
    if (s == NATS_OK && o->user)
        s = natsOptions_SetUserInfo(no, o->user, o->password ? o->password : "");
    if (s == NATS_OK && o->creds)
        s = natsOptions_SetUserCredentialsFromFiles(no, o->creds, NULL);
    return s;
}

static natsStatus set_tls(const br_opts *o, natsOptions *no)
{
    natsStatus s = NATS_OK;
    if (!(o->tls || o->tls_ca || o->tls_cert || o->tls_key || o->tls_hostname))
        return NATS_OK;
    s = natsOptions_SetSecure(no, true);
    if (s == NATS_OK && o->tls_ca)
        s = natsOptions_LoadCATrustedCertificates(no, o->tls_ca);
    if (s == NATS_OK && (o->tls_cert || o->tls_key))
        s = natsOptions_LoadCertificatesChain(no, o->tls_cert, o->tls_key);
    if (s == NATS_OK && o->tls_hostname)
        s = natsOptions_SetExpectedHostname(no, o->tls_hostname);
    return s;
}

static natsStatus make_options(const br_opts *o, int send_asap, natsOptions **out)
{
    static char urls[4096];
    natsOptions *no = NULL;
    natsStatus s = natsOptions_Create(&no);
    if (s == NATS_OK)
        s = set_servers(no, o->nats, urls, sizeof urls);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(no, -1); /* forever */
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(no, 100);
    if (s == NATS_OK)
        s = natsOptions_SetDisconnectedCB(no, on_disconnected, (void *)o);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectedCB(no, on_reconnected, (void *)o);
    if (s == NATS_OK && send_asap)
        s = natsOptions_SetSendAsap(no, true);
    if (s == NATS_OK)
        s = set_auth(o, no);
    if (s == NATS_OK)
        s = set_tls(o, no);
    if (s != NATS_OK)
        natsOptions_Destroy(no);
    else
        *out = no;
    return s;
}

int br_nats_connect(const br_opts *o, br_nats *n, jsPubAckHandler ack_cb, void *ack_closure,
                    int64_t max_pending)
{
    natsOptions *no = NULL;
    /* in sends a pull request and an ack per batch: at once, not after
     * cnats's flusher pause; out's publishes go in bursts, buffered */
    natsStatus s = make_options(o, !o->out, &no);
    if (s != NATS_OK) {
        br_err(o, "NATS options: %s", br_nats_text(s));
        return BR_NATS;
    }
    s = natsConnection_Connect(&n->nc, no);
    natsOptions_Destroy(no);
    if (s != NATS_OK) {
        br_err(o, "cannot connect to %s: %s", o->nats, br_nats_text(s));
        return BR_NATS;
    }
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = 5000; /* JetStream API requests */
    jo.PublishAsync.AckHandler = ack_cb;
    jo.PublishAsync.AckHandlerClosure = ack_closure;
    jo.PublishAsync.MaxPending = max_pending;
    s = natsConnection_JetStream(&n->js, n->nc, &jo);
    if (s != NATS_OK) {
        br_err(o, "JetStream context: %s", br_nats_text(s));
        return BR_NATS;
    }
    return BR_OK;
}

void br_nats_close(br_nats *n)
{
    if (n->js)
        jsCtx_Destroy(n->js);
    closing = 1;
    if (n->nc) {
        natsConnection_FlushTimeout(n->nc, 1000);
        natsConnection_Close(n->nc);
        natsConnection_Destroy(n->nc);
    }
    n->js = NULL;
    n->nc = NULL;
}

/* NATS subject matching: does pattern (with * and >) take subject? */
static int subject_matches(const char *pat, const char *subj)
{
    for (;;) {
        const char *pe = strchr(pat, '.'), *se = strchr(subj, '.');
        size_t pl = pe ? (size_t)(pe - pat) : strlen(pat);
        size_t sl = se ? (size_t)(se - subj) : strlen(subj);
        if (pl == 1 && pat[0] == '>')
            return 1;
        if (!(pl == 1 && pat[0] == '*') && (pl != sl || memcmp(pat, subj, pl) != 0))
            return 0;
        if (!pe || !se)
            return !pe && !se;
        pat = pe + 1;
        subj = se + 1;
    }
}

static int stream_takes(const br_opts *o, const jsStreamInfo *si)
{
    for (int i = 0; si->Config && i < si->Config->SubjectsLen; i++)
        if (subject_matches(si->Config->Subjects[i], o->subject))
            return 1;
    return 0;
}

/* An existing stream must take our subject (else publishes have no home). */
static int check_stream(const br_opts *o, jsStreamInfo *si)
{
    int ok = stream_takes(o, si);
    if (!ok)
        br_err(o, "stream %s does not take subject %s", o->stream, o->subject);
    jsStreamInfo_Destroy(si);
    return ok ? BR_OK : BR_NATS;
}

static natsStatus add_stream(const br_opts *o, br_nats *n, jsErrCode *jerr)
{
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    const char *subjects[1] = {o->subject};
    cfg.Name = o->stream;
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Duplicates = (int64_t)o->dup_window_s * 1000000000LL;
    jsStreamInfo *si = NULL;
    natsStatus s = js_AddStream(&si, n->js, &cfg, NULL, jerr);
    if (si)
        jsStreamInfo_Destroy(si);
    return s;
}

int br_stream_ensure(const br_opts *o, br_nats *n)
{
    for (int tries = 0; tries < 3; tries++) {
        jsStreamInfo *si = NULL;
        jsErrCode jerr = 0;
        natsStatus s = js_GetStreamInfo(&si, n->js, o->stream, NULL, &jerr);
        if (s == NATS_OK)
            return check_stream(o, si);
        if (s != NATS_NOT_FOUND) {
            br_err(o, "stream %s: %s", o->stream, br_nats_text(s));
            return BR_NATS;
        }
        s = add_stream(o, n, &jerr);
        if (s == NATS_OK) {
            br_note(o, "created stream %s (subject %s, file storage, duplicates window %llu s)",
                    o->stream, o->subject, (unsigned long long)o->dup_window_s);
            return BR_OK;
        }
        if (jerr != JSStreamNameExistErr) { /* not a racing creator */
            br_err(o, "cannot create stream %s for subject %s: %s", o->stream, o->subject,
                   br_nats_text(s));
            return BR_NATS;
        }
    }
    br_err(o, "stream %s: created and gone again", o->stream);
    return BR_NATS;
}

int br_stream_wait(const br_opts *o, br_nats *n)
{
    uint64_t deadline = br_now_ms() + 10000;
    natsStatus s;
    for (;;) {
        jsStreamInfo *si = NULL;
        jsErrCode jerr = 0;
        s = js_GetStreamInfo(&si, n->js, o->stream, NULL, &jerr);
        if (s == NATS_OK)
            return check_stream(o, si);
        if (br_stop || br_now_ms() >= deadline)
            break;
        br_sleep_ms(200);
    }
    br_err(o, "stream %s (subject %s): %s after 10 s", o->stream, o->subject,
           s == NATS_NOT_FOUND ? "not found" : br_nats_text(s));
    return BR_NATS;
}
