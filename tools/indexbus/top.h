/* top.h - `indexbus top`: a frame of text lines (cmd_top.c builds it) and
 * the terminal that shows it (top_term.c). */
#ifndef INDEXBUS_CLI_TOP_H
#define INDEXBUS_CLI_TOP_H

#define TOP_LINES 256
#define TOP_WIDTH 160

typedef struct top_frame {
    int n;
    char line[TOP_LINES][TOP_WIDTH];
    int highlight[TOP_LINES]; /* shown in reverse video on a terminal */
} top_frame;

/* keys: stdin is a terminal, read it raw for 'q'. */
void top_term_enter(int keys);
void top_term_restore(void);
void top_term_size(int *cols, int *rows);
/* Redraw in place, cut to the terminal's width and height. */
void top_term_draw(const top_frame *f);
/* Wait up to ms for a key (or a signal); 1 if 'q' was pressed. */
int top_term_wait(int keys, int ms);

#endif /* INDEXBUS_CLI_TOP_H */
