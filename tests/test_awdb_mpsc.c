/* test_awdb_mpsc.c - the WAL's lock-free MPSC queue: FIFO order, emptiness,
 * and N producer threads against one consumer (every item exactly once,
 * each producer's items in its push order). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backends/awdb/mpsc.h"

#include <pthread.h>
#include <stdlib.h>

struct item {
    struct awdb_mpsc_node node; /* first */
    unsigned producer;
    unsigned index;
};

static void test_fifo(void **state)
{
    (void)state;
    struct awdb_mpsc q;
    awdb_mpsc_init(&q);
    assert_true(awdb_mpsc_empty(&q));
    assert_null(awdb_mpsc_pop(&q));
    struct item it[10];
    for (int round = 0; round < 3; round++) {
        for (unsigned i = 0; i < 10; i++) {
            it[i].index = i;
            awdb_mpsc_push(&q, &it[i].node);
            assert_false(awdb_mpsc_empty(&q));
        }
        for (unsigned i = 0; i < 10; i++) {
            struct item *p = (struct item *)awdb_mpsc_pop(&q);
            assert_non_null(p);
            assert_int_equal(p->index, i);
        }
        assert_null(awdb_mpsc_pop(&q));
        assert_true(awdb_mpsc_empty(&q));
    }
}

#define PRODUCERS 6
#define PER_PRODUCER 50000

struct prod {
    struct awdb_mpsc *q;
    unsigned id;
    struct item *items;
};

static void *producer(void *arg)
{
    struct prod *p = arg;
    for (unsigned i = 0; i < PER_PRODUCER; i++) {
        p->items[i].producer = p->id;
        p->items[i].index = i;
        awdb_mpsc_push(p->q, &p->items[i].node);
    }
    return NULL;
}

static void test_concurrent_producers(void **state)
{
    (void)state;
    struct awdb_mpsc q;
    awdb_mpsc_init(&q);
    struct prod p[PRODUCERS];
    pthread_t th[PRODUCERS];
    for (unsigned i = 0; i < PRODUCERS; i++) {
        p[i] = (struct prod){&q, i, calloc(PER_PRODUCER, sizeof(struct item))};
        assert_non_null(p[i].items);
        assert_int_equal(pthread_create(&th[i], NULL, producer, &p[i]), 0);
    }
    unsigned next[PRODUCERS] = {0};
    unsigned long got = 0;
    while (got < (unsigned long)PRODUCERS * PER_PRODUCER) {
        struct item *it = (struct item *)awdb_mpsc_pop(&q);
        if (!it)
            continue;
        assert_true(it->producer < PRODUCERS);
        assert_int_equal(it->index, next[it->producer]);
        next[it->producer]++;
        got++;
    }
    for (unsigned i = 0; i < PRODUCERS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(next[i], PER_PRODUCER);
    }
    assert_null(awdb_mpsc_pop(&q));
    assert_true(awdb_mpsc_empty(&q));
    for (unsigned i = 0; i < PRODUCERS; i++)
        free(p[i].items);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo),
        cmocka_unit_test(test_concurrent_producers),
    };
    if (getenv("AWDB_TEST_FILTER"))
        cmocka_set_test_filter(getenv("AWDB_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
