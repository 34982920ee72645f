/*
 * yaml_tree.c - libyaml events to a tree of positioned nodes, and back.
 *
 * The parser keeps a stack of the containers still open; each finished node
 * is appended to the container on top (a mapping collects key, value, key,
 * value ... and halves its count when it closes). Depth is bounded so that
 * freeing, which recurses, stays cheap whatever the input.
 */
#include "config/yaml_tree.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct kvb_ynode *kvb_ynode_new(enum kvb_ynode_kind kind, const char *text, const char *file,
                                int line, int column)
{
    struct kvb_ynode *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->kind = kind;
    n->file = file;
    n->line = line;
    n->column = column;
    n->plain = true;
    if (text) {
        n->len = strlen(text);
        n->text = malloc(n->len + 1);
        if (!n->text) {
            free(n);
            return NULL;
        }
        memcpy(n->text, text, n->len + 1);
    }
    return n;
}

void kvb_ynode_free(struct kvb_ynode *n)
{
    if (!n)
        return;
    size_t count = n->kind == KVB_YMAP ? 2 * n->n : n->n;
    for (size_t i = 0; i < count; i++)
        kvb_ynode_free(n->items[i]);
    free(n->items);
    free(n->text);
    free(n);
}

/* Appends one slot to n->items, where a map counts keys and values apart. */
static int push_item(struct kvb_ynode *n, size_t count, struct kvb_ynode *child)
{
    /* Capacity is the next power of two >= count: grow when count is one. */
    if (count == 0 || (count & (count - 1)) == 0) {
        size_t cap = count ? 2 * count : 4;
        struct kvb_ynode **items = realloc(n->items, cap * sizeof(*items));
        if (!items)
            return -1;
        n->items = items;
    }
    n->items[count] = child;
    return 0;
}

int kvb_ynode_append(struct kvb_ynode *seq, struct kvb_ynode *child)
{
    if (push_item(seq, seq->n, child) != 0)
        return -1;
    seq->n++;
    return 0;
}

int kvb_ynode_map_add(struct kvb_ynode *map, struct kvb_ynode *key, struct kvb_ynode *value)
{
    /* Two single pushes; the first may succeed and the second fail, in which
     * case the pair is simply not counted. */
    if (push_item(map, 2 * map->n, key) != 0 || push_item(map, 2 * map->n + 1, value) != 0)
        return -1;
    map->n++;
    return 0;
}

const char *kvb_ynode_what(const struct kvb_ynode *n)
{
    if (!n)
        return "nothing";
    switch (n->kind) {
    case KVB_YSCALAR:
        return kvb_ynode_is_null(n) ? "nothing" : "a scalar";
    case KVB_YSEQ:
        return "a list";
    case KVB_YMAP:
        return "a mapping";
    case KVB_YALIAS:
        return "an alias";
    }
    return "something else";
}

bool kvb_ynode_is_null(const struct kvb_ynode *n)
{
    return n && n->kind == KVB_YSCALAR && n->plain && (n->len == 0 || strcmp(n->text, "~") == 0);
}

/* ---- parsing ---- */

struct builder {
    const char *file;
    int col0;
    struct kvb_ynode *stack[KVB_YAML_MAX_DEPTH];
    size_t raw[KVB_YAML_MAX_DEPTH]; /* items collected so far by each open container */
    size_t depth;
    struct kvb_ynode *root;
    int docs;
};

static void set_err(struct kvb_yaml_error *err, int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void set_err(struct kvb_yaml_error *err, int line, int column, const char *fmt, ...)
{
    err->line = line;
    err->column = column;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
}

static int mark_line(const yaml_mark_t *m)
{
    return m->line < INT32_MAX ? (int)m->line + 1 : INT32_MAX;
}

static int mark_column(const struct builder *b, const yaml_mark_t *m)
{
    int col = m->column < INT32_MAX - 1024 ? (int)m->column + 1 : INT32_MAX - 1024;
    return m->line == 0 ? col + b->col0 : col;
}

/* Line and column (in characters) of a byte offset, for reader errors, which
 * libyaml reports by offset only. */
static void offset_position(const char *buf, size_t len, size_t off, int col0, int *line,
                            int *column)
{
    int l = 1, c = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (buf[i] == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)buf[i] & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *column = l == 1 ? c + col0 : c;
}

/* Hands a finished node to the open container, or makes it the root. */
static int attach(struct builder *b, struct kvb_ynode *n)
{
    if (b->depth == 0) {
        b->root = n;
        return 0;
    }
    size_t top = b->depth - 1;
    if (push_item(b->stack[top], b->raw[top], n) != 0)
        return -1;
    b->raw[top]++;
    if (b->stack[top]->kind == KVB_YSEQ)
        b->stack[top]->n = b->raw[top];
    else
        b->stack[top]->n = b->raw[top] / 2; /* complete pairs, so a free mid-way frees all */
    return 0;
}

/* libyaml puts the end of the stream on a line of its own after the last
 * one; an error there ("found unexpected end of stream") is shown just past
 * the last character written instead, which is where the reader looks. */
static void clamp_to_end(const char *buf, size_t len, int col0, int *line, int *column)
{
    size_t end = len;
    while (end > 0 && (buf[end - 1] == '\n' || buf[end - 1] == '\r'))
        end--;
    int l, c;
    offset_position(buf, len, end, col0, &l, &c);
    if (*line > l || (*line == l && *column > c)) {
        *line = l;
        *column = c;
    }
}

static void parser_error(const yaml_parser_t *p, const char *buf, size_t len,
                         const struct builder *b, struct kvb_yaml_error *err)
{
    const char *problem = p->problem ? p->problem : "unknown error";
    if (p->error == YAML_MEMORY_ERROR) {
        set_err(err, 0, 0, "out of memory while reading YAML");
        return;
    }
    if (p->error == YAML_READER_ERROR) {
        int line, column;
        offset_position(buf, len, p->problem_offset, b->col0, &line, &column);
        if (p->problem_value != -1)
            set_err(err, line, column, "not valid YAML: %s (byte 0x%02X)", problem,
                    (unsigned)p->problem_value & 0xFFu);
        else
            set_err(err, line, column, "not valid YAML: %s", problem);
        return;
    }
    int line = mark_line(&p->problem_mark), column = mark_column(b, &p->problem_mark);
    clamp_to_end(buf, len, b->col0, &line, &column);
    if (p->context) {
        int cl = mark_line(&p->context_mark), cc = mark_column(b, &p->context_mark);
        clamp_to_end(buf, len, b->col0, &cl, &cc);
        set_err(err, line, column, "not valid YAML: %s (%s at line %d, column %d)", problem,
                p->context, cl, cc);
    } else {
        set_err(err, line, column, "not valid YAML: %s", problem);
    }
}

static struct kvb_ynode *scalar_node(const struct builder *b, const yaml_event_t *ev)
{
    struct kvb_ynode *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->kind = KVB_YSCALAR;
    n->file = b->file;
    n->line = mark_line(&ev->start_mark);
    n->column = mark_column(b, &ev->start_mark);
    n->len = ev->data.scalar.length;
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    n->text = malloc(n->len + 1);
    if (!n->text) {
        free(n);
        return NULL;
    }
    memcpy(n->text, ev->data.scalar.value, n->len);
    n->text[n->len] = '\0';
    return n;
}

/* Frees everything the builder holds after a failure. */
static void builder_discard(struct builder *b)
{
    /* Open containers are not yet attached to their parents: free each. The
     * items each one has already taken are freed with it; a map with an odd
     * item count has a dangling key, freed here by hand. */
    for (size_t i = b->depth; i-- > 0;) {
        struct kvb_ynode *n = b->stack[i];
        if (n->kind == KVB_YMAP && b->raw[i] % 2)
            kvb_ynode_free(n->items[b->raw[i] - 1]);
        kvb_ynode_free(n);
    }
    b->depth = 0;
    kvb_ynode_free(b->root);
    b->root = NULL;
}

int kvb_yaml_parse(const char *buf, size_t len, const char *file, int col0, struct kvb_ynode **root,
                   struct kvb_yaml_error *err)
{
    struct builder b = {.file = file, .col0 = col0};
    yaml_parser_t p;
    *root = NULL;
    memset(err, 0, sizeof(*err));
    if (!yaml_parser_initialize(&p)) {
        set_err(err, 0, 0, "out of memory while reading YAML");
        return -1;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);

    int rc = -1;
    for (bool done = false; !done;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            parser_error(&p, buf, len, &b, err);
            goto out;
        }
        struct kvb_ynode *n = NULL;
        int line = mark_line(&ev.start_mark), column = mark_column(&b, &ev.start_mark);
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++b.docs > 1) {
                set_err(err, line, column,
                        "more than one YAML document; a config is a single mapping");
                yaml_event_delete(&ev);
                goto out;
            }
            break;
        case YAML_SCALAR_EVENT:
            n = scalar_node(&b, &ev);
            break;
        case YAML_ALIAS_EVENT:
            n = kvb_ynode_new(KVB_YALIAS, (const char *)ev.data.alias.anchor, file, line, column);
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (b.depth == KVB_YAML_MAX_DEPTH) {
                set_err(err, line, column, "nesting deeper than %d levels", KVB_YAML_MAX_DEPTH);
                yaml_event_delete(&ev);
                goto out;
            }
            n = kvb_ynode_new(ev.type == YAML_SEQUENCE_START_EVENT ? KVB_YSEQ : KVB_YMAP, NULL,
                              file, line, column);
            if (n) {
                b.stack[b.depth] = n;
                b.raw[b.depth] = 0;
                b.depth++;
                n = NULL; /* attached when it ends */
                yaml_event_delete(&ev);
                continue;
            }
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            b.depth--;
            n = b.stack[b.depth];
            break;
        default: /* stream start, document end */
            break;
        }
        bool wanted = ev.type == YAML_SCALAR_EVENT || ev.type == YAML_ALIAS_EVENT ||
                      ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT;
        yaml_event_delete(&ev);
        if (wanted && !n) {
            set_err(err, line, column, "out of memory while reading YAML");
            goto out;
        }
        if (n && attach(&b, n) != 0) {
            kvb_ynode_free(n);
            set_err(err, line, column, "out of memory while reading YAML");
            goto out;
        }
    }
    *root = b.root;
    b.root = NULL;
    rc = 0;
out:
    if (rc != 0)
        builder_discard(&b);
    yaml_parser_delete(&p);
    return rc;
}

/* ---- emitting ---- */

struct outbuf {
    char *data;
    size_t len, cap;
    bool oom;
};

static int write_out(void *data, unsigned char *bytes, size_t size)
{
    struct outbuf *o = data;
    if (o->len + size + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 256;
        while (cap < o->len + size + 1)
            cap *= 2;
        char *d = realloc(o->data, cap);
        if (!d) {
            o->oom = true;
            return 0;
        }
        o->data = d;
        o->cap = cap;
    }
    memcpy(o->data + o->len, bytes, size);
    o->len += size;
    o->data[o->len] = '\0';
    return 1;
}

static int emit_node(yaml_emitter_t *e, const struct kvb_ynode *n)
{
    yaml_event_t ev;
    int ok = 1;
    switch (n->kind) {
    case KVB_YALIAS: /* never in a tree config.c accepted; write it as text */
    case KVB_YSCALAR: {
        yaml_scalar_style_t style =
            n->plain && n->len > 0 ? YAML_ANY_SCALAR_STYLE : YAML_SINGLE_QUOTED_SCALAR_STYLE;
        ok = yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)(n->text ? n->text : ""),
                                          n->text ? (int)n->len : 0, 1, 1, style) &&
             yaml_emitter_emit(e, &ev);
        return ok;
    }
    case KVB_YSEQ:
        if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_FLOW_SEQUENCE_STYLE) ||
            !yaml_emitter_emit(e, &ev))
            return 0;
        for (size_t i = 0; ok && i < n->n; i++)
            ok = emit_node(e, n->items[i]);
        return ok && yaml_sequence_end_event_initialize(&ev) && yaml_emitter_emit(e, &ev);
    case KVB_YMAP:
        if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) ||
            !yaml_emitter_emit(e, &ev))
            return 0;
        for (size_t i = 0; ok && i < 2 * n->n; i++)
            ok = emit_node(e, n->items[i]);
        return ok && yaml_mapping_end_event_initialize(&ev) && yaml_emitter_emit(e, &ev);
    }
    return 0;
}

char *kvb_yaml_emit(const struct kvb_ynode *root)
{
    struct outbuf o = {0};
    yaml_emitter_t e;
    yaml_event_t ev;
    if (!yaml_emitter_initialize(&e))
        return NULL;
    yaml_emitter_set_output(&e, write_out, &o);
    yaml_emitter_set_unicode(&e, 1);
    yaml_emitter_set_width(&e, -1);
    int ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) &&
             yaml_emitter_emit(&e, &ev) &&
             yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) &&
             yaml_emitter_emit(&e, &ev) && emit_node(&e, root) &&
             yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(&e, &ev) &&
             yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&e, &ev) &&
             yaml_emitter_flush(&e);
    yaml_emitter_delete(&e);
    if (!ok || o.oom) {
        free(o.data);
        return NULL;
    }
    if (!o.data)
        o.data = calloc(1, 1);
    return o.data;
}
