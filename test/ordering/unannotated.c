/* unannotated.c - fixture for tools/check_ordering.py's self-test (make
 * check-ordering): one annotated site, one that is not. Never compiled. */
static void fixture(uint64_t *word, uint64_t v)
{
    /* pairs with the acquire load below */
    ib_store_release(word, v);

    uint64_t seen = ib_load_acquire(word);
    (void)seen;
}
