/*
 * unit.h - the main() of a cmocka program whose tests need no group
 * set-up: EQM_UNIT_MAIN(test_a, test_b, ...) runs them in that order and
 * returns cmocka's exit code; EQM_UNIT_MAIN_FIXTURE(...) wraps each in the
 * file's setup() and teardown(). Up to 40 tests.
 */
#ifndef EQM_TESTS_UNIT_H
#define EQM_TESTS_UNIT_H

#define EQM_UNIT_T_(fn)      cmocka_unit_test(fn),
#define EQM_FE_1(m, x)       m(x)
#define EQM_FE_2(m, x, ...)  m(x) EQM_FE_1(m, __VA_ARGS__)
#define EQM_FE_3(m, x, ...)  m(x) EQM_FE_2(m, __VA_ARGS__)
#define EQM_FE_4(m, x, ...)  m(x) EQM_FE_3(m, __VA_ARGS__)
#define EQM_FE_5(m, x, ...)  m(x) EQM_FE_4(m, __VA_ARGS__)
#define EQM_FE_6(m, x, ...)  m(x) EQM_FE_5(m, __VA_ARGS__)
#define EQM_FE_7(m, x, ...)  m(x) EQM_FE_6(m, __VA_ARGS__)
#define EQM_FE_8(m, x, ...)  m(x) EQM_FE_7(m, __VA_ARGS__)
#define EQM_FE_9(m, x, ...)  m(x) EQM_FE_8(m, __VA_ARGS__)
#define EQM_FE_10(m, x, ...) m(x) EQM_FE_9(m, __VA_ARGS__)
#define EQM_FE_11(m, x, ...) m(x) EQM_FE_10(m, __VA_ARGS__)
#define EQM_FE_12(m, x, ...) m(x) EQM_FE_11(m, __VA_ARGS__)
#define EQM_FE_13(m, x, ...) m(x) EQM_FE_12(m, __VA_ARGS__)
#define EQM_FE_14(m, x, ...) m(x) EQM_FE_13(m, __VA_ARGS__)
#define EQM_FE_15(m, x, ...) m(x) EQM_FE_14(m, __VA_ARGS__)
#define EQM_FE_16(m, x, ...) m(x) EQM_FE_15(m, __VA_ARGS__)
#define EQM_FE_17(m, x, ...) m(x) EQM_FE_16(m, __VA_ARGS__)
#define EQM_FE_18(m, x, ...) m(x) EQM_FE_17(m, __VA_ARGS__)
#define EQM_FE_19(m, x, ...) m(x) EQM_FE_18(m, __VA_ARGS__)
#define EQM_FE_20(m, x, ...) m(x) EQM_FE_19(m, __VA_ARGS__)
#define EQM_FE_21(m, x, ...) m(x) EQM_FE_20(m, __VA_ARGS__)
#define EQM_FE_22(m, x, ...) m(x) EQM_FE_21(m, __VA_ARGS__)
#define EQM_FE_23(m, x, ...) m(x) EQM_FE_22(m, __VA_ARGS__)
#define EQM_FE_24(m, x, ...) m(x) EQM_FE_23(m, __VA_ARGS__)
#define EQM_FE_25(m, x, ...) m(x) EQM_FE_24(m, __VA_ARGS__)
#define EQM_FE_26(m, x, ...) m(x) EQM_FE_25(m, __VA_ARGS__)
#define EQM_FE_27(m, x, ...) m(x) EQM_FE_26(m, __VA_ARGS__)
#define EQM_FE_28(m, x, ...) m(x) EQM_FE_27(m, __VA_ARGS__)
#define EQM_FE_29(m, x, ...) m(x) EQM_FE_28(m, __VA_ARGS__)
#define EQM_FE_30(m, x, ...) m(x) EQM_FE_29(m, __VA_ARGS__)
#define EQM_FE_31(m, x, ...) m(x) EQM_FE_30(m, __VA_ARGS__)
#define EQM_FE_32(m, x, ...) m(x) EQM_FE_31(m, __VA_ARGS__)
#define EQM_FE_33(m, x, ...) m(x) EQM_FE_32(m, __VA_ARGS__)
#define EQM_FE_34(m, x, ...) m(x) EQM_FE_33(m, __VA_ARGS__)
#define EQM_FE_35(m, x, ...) m(x) EQM_FE_34(m, __VA_ARGS__)
#define EQM_FE_36(m, x, ...) m(x) EQM_FE_35(m, __VA_ARGS__)
#define EQM_FE_37(m, x, ...) m(x) EQM_FE_36(m, __VA_ARGS__)
#define EQM_FE_38(m, x, ...) m(x) EQM_FE_37(m, __VA_ARGS__)
#define EQM_FE_39(m, x, ...) m(x) EQM_FE_38(m, __VA_ARGS__)
#define EQM_FE_40(m, x, ...) m(x) EQM_FE_39(m, __VA_ARGS__)
#define EQM_FE_N_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, \
                  _19, _20, _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, _33, _34,  \
                  _35, _36, _37, _38, _39, _40, N, ...)                                            \
    EQM_FE_##N
#define EQM_FOR_EACH(m, ...)                                                                       \
    EQM_FE_N_(__VA_ARGS__, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, \
              22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)    \
    (m, __VA_ARGS__)

#define EQM_UNIT_MAIN(...)                                                                         \
    int main(void) {                                                                               \
        const struct CMUnitTest tests_[] = {EQM_FOR_EACH(EQM_UNIT_T_, __VA_ARGS__)};               \
        return cmocka_run_group_tests(tests_, NULL, NULL);                                         \
    }

/* The same, each test wrapped in the file's own setup() and teardown(). */
#define EQM_UNIT_ST_(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown),
#define EQM_UNIT_MAIN_FIXTURE(...)                                                                 \
    int main(void) {                                                                               \
        const struct CMUnitTest tests_[] = {EQM_FOR_EACH(EQM_UNIT_ST_, __VA_ARGS__)};              \
        return cmocka_run_group_tests(tests_, NULL, NULL);                                         \
    }

#endif /* EQM_TESTS_UNIT_H */
