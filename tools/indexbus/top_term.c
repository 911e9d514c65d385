/* top_term.c - the terminal side of `indexbus top`: plain ANSI escapes
 * (alternate screen, cursor home, erase, reverse video), a raw keyboard
 * with signals left on (Ctrl-C still raises SIGINT), and the restore on
 * every way out. No curses: the sequences used are the VT100 subset every
 * terminal emulator and SSH client passes through, and the tool keeps no
 * dependency beyond libc. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "top.h"

static struct termios saved;
static int raw_on, screen_on;

void top_term_restore(void)
{
    if (raw_on) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        raw_on = 0;
    }
    if (screen_on) {
        /* show the cursor, leave the alternate screen */
        fputs("\033[?25h\033[?1049l", stdout);
        fflush(stdout);
        screen_on = 0;
    }
}

void top_term_enter(int keys)
{
    if (keys && tcgetattr(STDIN_FILENO, &saved) == 0) {
        struct termios t = saved;
        t.c_lflag &= ~(tcflag_t)(ICANON | ECHO); /* ISIG stays: Ctrl-C is SIGINT */
        t.c_cc[VMIN] = 0;
        t.c_cc[VTIME] = 0;
        if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0)
            raw_on = 1;
    }
    /* the alternate screen, so the shell's screen comes back as it was */
    fputs("\033[?1049h\033[?25l", stdout);
    screen_on = 1;
    atexit(top_term_restore);
}

void top_term_size(int *cols, int *rows)
{
    struct winsize ws;
    *cols = 80;
    *rows = 24;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
        *cols = ws.ws_col;
        *rows = ws.ws_row;
    }
}

void top_term_draw(const top_frame *f)
{
    int cols, rows;
    top_term_size(&cols, &rows);
    fputs("\033[H", stdout); /* home; each line erases what is left of it */
    for (int i = 0; i < f->n && i < rows; i++) {
        int hl = f->highlight[i];
        if (hl)
            fputs("\033[7m", stdout); /* reverse video */
        fprintf(stdout, "%.*s", cols, f->line[i]);
        if (hl)
            fputs("\033[0m", stdout);
        fputs("\033[K", stdout);
        if (i + 1 < f->n && i + 1 < rows)
            fputs("\r\n", stdout);
    }
    fputs("\033[J", stdout); /* erase below: the last frame may have been longer */
    fflush(stdout);
}

int top_term_wait(int keys, int ms)
{
    struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
    if (!keys) {
        poll(NULL, 0, ms); /* EINTR on a stop signal: fine */
        return 0;
    }
    if (poll(&p, 1, ms) <= 0)
        return 0;
    char buf[64];
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n == 0)
        return 0; /* end of input: keep refreshing until a signal */
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == 'q' || buf[i] == 'Q')
            return 1;
    return 0;
}
