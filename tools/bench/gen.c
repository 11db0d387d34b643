#include "gen.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* A choice and its weight (any unit; weights of a list need not sum to
 * anything in particular). NULL value = JSON null. */
struct pick {
    const char *value;
    unsigned weight;
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Roughly the shape of a metropolitan force's published searches. */
static const struct pick self_defined[] = {
    {"White - English/Welsh/Scottish/Northern Irish/British", 300},
    {"White - Irish", 8},
    {"White - Gypsy or Irish Traveller", 4},
    {"White - Roma", 3},
    {"White - Any other White background", 70},
    {"Black/African/Caribbean/Black British - African", 70},
    {"Black/African/Caribbean/Black British - Caribbean", 60},
    {"Black/African/Caribbean/Black British - Any other Black/African/Caribbean background", 50},
    {"Asian/Asian British - Bangladeshi", 25},
    {"Asian/Asian British - Chinese", 4},
    {"Asian/Asian British - Indian", 15},
    {"Asian/Asian British - Pakistani", 20},
    {"Asian/Asian British - Any other Asian background", 30},
    {"Mixed/Multiple ethnic groups - White and Asian", 5},
    {"Mixed/Multiple ethnic groups - White and Black African", 6},
    {"Mixed/Multiple ethnic groups - White and Black Caribbean", 15},
    {"Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background", 12},
    {"Other ethnic group - Arab", 10},
    {"Other ethnic group - Any other ethnic group", 25},
    {"Other ethnic group - Not stated", 180},
    {NULL, 60},
    {"", 10},
};
/* The broad group of each self_defined entry, for the officer's view. */
static const char *const self_broad[] = {
    "White", "White", "White", "White", "White", "Black", "Black", "Black",
    "Asian", "Asian", "Asian", "Asian", "Asian", "Mixed", "Mixed", "Mixed",
    "Mixed", "Other", "Other", NULL,    NULL,    NULL,
};
static const struct pick officer_defined[] = {
    {"White", 50}, {"Black", 30}, {"Asian", 12}, {"Mixed", 2}, {"Other", 4}, {NULL, 20},
};
static const struct pick gender[] = {
    {"Male", 850},
    {"Female", 120},
    {"Other", 5},
    {NULL, 25},
};
static const struct pick age_range[] = {
    {"under 10", 2}, {"10-17", 150}, {"18-24", 350}, {"25-34", 250}, {"over 34", 200}, {NULL, 48},
};
static const struct pick search_type[] = {
    {"Person search", 800},
    {"Person and Vehicle search", 150},
    {"Vehicle search", 50},
};

/* Legislation with the object of search that goes with it. */
static const struct {
    const char *legislation, *object;
    unsigned weight;
} powers[] = {
    {"Misuse of Drugs Act 1971 (section 23)", "Controlled drugs", 600},
    {"Police and Criminal Evidence Act 1984 (section 1)", "Offensive weapons", 120},
    {"Police and Criminal Evidence Act 1984 (section 1)", "Stolen goods", 90},
    {"Police and Criminal Evidence Act 1984 (section 1)", "Article for use in theft", 60},
    {"Police and Criminal Evidence Act 1984 (section 1)", "Articles for use in criminal damage",
     20},
    {"Criminal Justice and Public Order Act 1994 (section 60)", "Offensive weapons", 50},
    {"Firearms Act 1968 (section 47)", "Firearms", 30},
    {"Psychoactive Substances Act 2016 (s36(2))", "Psychoactive substances", 5},
    {NULL, NULL, 25},
};
static const struct pick outcome[] = {
    {"A no further action disposal", 700},
    {"Arrest", 130},
    {"Community resolution", 80},
    {"Summons / charged by post", 30},
    {"Caution (simple or conditional)", 10},
    {"Penalty Notice for Disorder", 10},
    {"Khat or Cannabis warning", 40},
};
static const struct pick tristate[] = {{"true", 20}, {"false", 60}, {"null", 20}};
static const struct pick removal[] = {{"true", 3}, {"false", 85}, {"null", 12}};

static const char *const areas[BENCH_GEN_MAX_AREAS] = {
    "E09000001", "E09000002", "E09000003", "E09000004", "E09000005", "E09000006", "E09000007",
    "E09000008", "E09000009", "E09000010", "E09000011", "E09000012", "E09000013", "E09000014",
    "E09000015", "E09000016", "E09000017", "E09000018", "E09000019", "E09000020", "E09000021",
    "E09000022", "E09000023", "E09000024", "E09000025", "E09000026", "E09000027", "E09000028",
    "E09000029", "E09000030", "E09000031", "E09000032", "E09000033",
};
/* Boroughs differ a lot in how many searches they see. */
static const unsigned area_weight[BENCH_GEN_MAX_AREAS] = {
    2, 6, 8, 5, 9,  7, 10, 9,  8, 8, 9,  10, 6,  9, 6,  6, 6,
    7, 8, 8, 4, 12, 9, 5,  10, 7, 4, 12, 6,  12, 8, 14, 9,
};

/* splitmix64: a good 64-bit stream from any seed. */
static uint64_t next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static unsigned below(uint64_t *s, unsigned n) {
    return (unsigned)((next(s) >> 32) * n >> 32);
}

static size_t choose(uint64_t *s, const unsigned *weights, size_t stride, size_t n) {
    unsigned total = 0, r;
    for (size_t i = 0; i < n; i++)
        total += *(const unsigned *)((const char *)weights + i * stride);
    r = below(s, total);
    for (size_t i = 0; i < n; i++) {
        unsigned w = *(const unsigned *)((const char *)weights + i * stride);
        if (r < w)
            return i;
        r -= w;
    }
    return n - 1;
}

#define CHOOSE(s, arr) choose((s), &(arr)[0].weight, sizeof((arr)[0]), N_OF(arr))

const char *bench_gen_area(int a) {
    return areas[a < 0 || a >= BENCH_GEN_MAX_AREAS ? 0 : a];
}

void bench_gen_init(struct bench_gen *g, uint64_t seed, uint64_t n, int n_areas, int64_t end_us,
                    bool shuffle, const char *tag) {
    memset(g, 0, sizeof(*g));
    g->seed = seed;
    g->n = n ? n : 1;
    g->n_areas = n_areas < 1 ? 1 : n_areas > BENCH_GEN_MAX_AREAS ? BENCH_GEN_MAX_AREAS : n_areas;
    g->shuffle = shuffle;
    g->span_us = 365LL * 86400 * 1000000;
    /* A day of margin: late events never land in the future. */
    g->start_us = end_us - g->span_us - 86400LL * 1000000;
    snprintf(g->tag, sizeof(g->tag), "%s", tag);
}

/* A JSON string or null. */
static int put_str(char *p, size_t room, const char *name, const char *v) {
    return v ? snprintf(p, room, ",\"%s\":\"%s\"", name, v)
             : snprintf(p, room, ",\"%s\":null", name);
}

size_t bench_gen_event(const struct bench_gen *g, uint64_t i, char *buf, int *area) {
    uint64_t s = g->seed ^ (i * 0xD1B54A32D192ED03ULL);
    int64_t t;
    time_t secs;
    struct tm tm;
    char when[32];
    size_t eth, k, len = 0, room = BENCH_GEN_MAX_BYTES;
    uint64_t u1, u2;
    int a, n;
    const char *odi;

    next(&s);
    if (g->shuffle) {
        t = g->start_us + (int64_t)(next(&s) % (uint64_t)g->span_us);
    } else {
        t = g->start_us + (int64_t)((double)g->span_us * ((double)i + 0.5) / (double)g->n);
        t += (int64_t)(next(&s) % 14400000000ULL) - 7200000000LL; /* +- 2 h */
        if (below(&s, 100) < 2)
            t -= (int64_t)(next(&s) % 172800000000ULL); /* late, up to 2 days */
    }
    secs = (time_t)(t / 1000000);
    gmtime_r(&secs, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S+00:00", &tm);

    a = (int)choose(&s, area_weight, sizeof(area_weight[0]), (size_t)g->n_areas);
    *area = a;
    /* A random (version 4 shaped) UUID after the run's tag. */
    u1 = next(&s);
    u2 = next(&s);
    n = snprintf(buf, room,
                 "{\"event_id\":\"%s-%08x-%04x-4%03x-%04x-%012llx\",\"event_type\":\"stop_search\","
                 "\"occurred_at\":\"%s\",\"area\":\"%s\"",
                 g->tag, (unsigned)(u1 >> 32), (unsigned)(u1 >> 16) & 0xffff, (unsigned)u1 & 0xfff,
                 (unsigned)(0x8000 | ((u2 >> 48) & 0x3fff)),
                 (unsigned long long)(u2 & 0xffffffffffffULL), when, areas[a]);
    len += (size_t)n;

    k = CHOOSE(&s, search_type);
    len += (size_t)put_str(buf + len, room - len, "type", search_type[k].value);
    k = CHOOSE(&s, gender);
    len += (size_t)put_str(buf + len, room - len, "gender", gender[k].value);
    k = CHOOSE(&s, age_range);
    len += (size_t)put_str(buf + len, room - len, "age_range", age_range[k].value);
    eth = CHOOSE(&s, self_defined);
    len +=
        (size_t)put_str(buf + len, room - len, "self_defined_ethnicity", self_defined[eth].value);
    /* Officers mostly see the broad group the person states. */
    odi = self_broad[eth] && below(&s, 100) < 85
              ? self_broad[eth]
              : officer_defined[CHOOSE(&s, officer_defined)].value;
    len += (size_t)put_str(buf + len, room - len, "officer_defined_ethnicity", odi);
    k = CHOOSE(&s, powers);
    len += (size_t)put_str(buf + len, room - len, "legislation", powers[k].legislation);
    len += (size_t)put_str(buf + len, room - len, "object_of_search", powers[k].object);
    k = CHOOSE(&s, outcome);
    len += (size_t)put_str(buf + len, room - len, "outcome", outcome[k].value);
    len += (size_t)snprintf(
        buf + len, room - len,
        ",\"outcome_linked_to_object_of_search\":%s"
        ",\"removal_of_more_than_outer_clothing\":%s"
        ",\"operation\":%s,\"operation_name\":null"
        ",\"latitude\":51.%06u,\"longitude\":-0.%06u}",
        tristate[CHOOSE(&s, tristate)].value, removal[CHOOSE(&s, removal)].value,
        below(&s, 100) < 3 ? "true" : "false", below(&s, 1000000), below(&s, 1000000));
    return len;
}
