/*
 * yaml_tree.h - a YAML document as a small tree of nodes that remember
 * where they were written, and the tree written back out as YAML text.
 *
 * libyaml delivers events; config.c wants to look at a whole mapping at once
 * and point at the line and column of any key or value it rejects. This file
 * turns the events of one document into that tree, and nothing more: it does
 * not interpret scalars (no null, bool or number resolution), ignores tags and
 * anchors, and keeps aliases as KVB_YALIAS nodes for the caller to reject
 * (with the key they belong to in the message).
 *
 * Ownership: kvb_yaml_parse returns a tree the caller frees with
 * kvb_ynode_free. Every node points at a file name (for error messages) that
 * is the caller's and must outlive the tree.
 */
#ifndef KVB_CLI_YAML_TREE_H
#define KVB_CLI_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>

enum kvb_ynode_kind {
    KVB_YSCALAR,
    KVB_YSEQ,
    KVB_YMAP,
    KVB_YALIAS, /* "*name": never resolved */
};

struct kvb_ynode {
    enum kvb_ynode_kind kind;
    const char *file;         /* where it was written: a path, or "--set" */
    int line, column;         /* 1-based position of the node's first character */
    char *text;               /* SCALAR: the value, NUL-terminated; ALIAS: the anchor name */
    size_t len;               /* SCALAR: bytes in text (a quoted "\0" can make it > strlen) */
    bool plain;               /* SCALAR: written without quotes (so "" and "~" mean null) */
    size_t n;                 /* SEQ: items; MAP: key/value pairs */
    struct kvb_ynode **items; /* SEQ: n nodes; MAP: 2n nodes, key0 value0 key1 value1 ... */
};

/* Nesting deeper than this is rejected (a config needs three levels). */
#define KVB_YAML_MAX_DEPTH 32

struct kvb_yaml_error {
    int line, column; /* 1-based; 0 when unknown */
    char msg[400];
};

/* Parses the len bytes at buf as one YAML document. Nodes record file and
 * their position; col0 is added to the columns of line 1 (so a --set value
 * can be located within its "KEY=VALUE" argument). Returns 0 with *root set
 * (NULL when the text holds no document at all: empty, or only comments),
 * or -1 with *err filled: libyaml's own description of text that is not
 * YAML, more than one document, or nesting deeper than KVB_YAML_MAX_DEPTH. */
int kvb_yaml_parse(const char *buf, size_t len, const char *file, int col0, struct kvb_ynode **root,
                   struct kvb_yaml_error *err);

/* Frees n and everything below it. NULL is fine. */
void kvb_ynode_free(struct kvb_ynode *n);

/* A new node of the given kind at file:line:column (text copied for scalars,
 * may be NULL for containers). NULL when out of memory. */
struct kvb_ynode *kvb_ynode_new(enum kvb_ynode_kind kind, const char *text, const char *file,
                                int line, int column);

/* Appends child to a sequence, or a key and a value to a mapping (the
 * container takes ownership). Returns 0, or -1 when out of memory (nothing
 * taken). */
int kvb_ynode_append(struct kvb_ynode *seq, struct kvb_ynode *child);
int kvb_ynode_map_add(struct kvb_ynode *map, struct kvb_ynode *key, struct kvb_ynode *value);

/* "a scalar", "a list", "a mapping", "an alias": for "expected X, got Y". */
const char *kvb_ynode_what(const struct kvb_ynode *n);

/* True for a scalar YAML reads as null: empty or "~" written without quotes.
 * (The word null is left alone: `null` is also a backend's name.) */
bool kvb_ynode_is_null(const struct kvb_ynode *n);

/* Writes the tree as YAML text: block mappings, flow lists, scalars plain
 * where YAML allows and quoted where they were quoted. Returns a malloc'd,
 * NUL-terminated string the caller frees, or NULL when out of memory. */
char *kvb_yaml_emit(const struct kvb_ynode *root);

#endif
