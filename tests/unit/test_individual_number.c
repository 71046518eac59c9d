/* test_individual_number.c — individual numbers as people write them are found; ordinary
 * numbers (a failing check digit, longer digit runs, other groupings) are not. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include "sanitize/individual_number.h"

static gboolean
found(const char *text)
{
  return mugai_individual_number_find(text, strlen(text), NULL);
}

static void
check_digit_follows_the_formula(void **state)
{
  (void) state;
  /* Worked by hand: 1x6+2x5+3x4+4x3+5x2+6x7+7x6+8x5+9x4+0x3+1x2 = 212; 212 mod 11 = 3; 11-3 = 8. */
  const guint8 a[11] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1};
  assert_int_equal(mugai_individual_number_check_digit(a), 8);
  const guint8 zero[11] = {0};
  assert_int_equal(mugai_individual_number_check_digit(zero), 0); /* remainder 0 → 0 */
}

static void
finds_the_forms_people_write(void **state)
{
  (void) state;
  assert_true(found("123456789018"));
  assert_true(found("個人番号: 1234 5678 9018 です"));
  assert_true(found("番号は1234-5678-9018。"));
  assert_true(found("１２３４５６７８９０１８"));
  assert_true(found("１２３４　５６７８　９０１８"));
  assert_true(found("1234－5678－9018"));
  assert_true(found("9876-5432-1093"));
  assert_true(found("1234 5678-9018")); /* mixed separators: still written by someone */
  gsize at = 0;
  assert_true(mugai_individual_number_find("番号 314159265352", strlen("番号 314159265352"), &at));
  assert_int_equal(at, strlen("番号 "));
}

static void
ordinary_numbers_are_not_individual_numbers(void **state)
{
  (void) state;
  assert_false(found("123456789012"));           /* check digit fails */
  assert_false(found("1234 5678 9012"));
  assert_false(found("1123456789018"));          /* 13 digits */
  assert_false(found("1234567890180"));
  assert_false(found("090-1234-5678"));          /* a phone number */
  assert_false(found("12 3456 789018"));         /* other grouping */
  assert_false(found("12345678901"));            /* 11 digits */
  assert_false(found("order 2026120100011 shipped"));
  assert_false(found(""));
}

static void
a_longer_run_hides_no_number_inside(void **state)
{
  (void) state;
  /* The valid 12 digits sit inside a 14-digit account number: not an individual number. */
  assert_false(found("口座 99123456789018 へ"));
  assert_false(found("１１２３４５６７８９０１８"));
  /* Groups of four going on: a card number, not an individual number. */
  assert_false(found("card 1234 5678 9018 7777"));
  assert_false(found("card 7777 1234 5678 9018"));
  assert_false(found("card 7777-1234-5678-9018"));
  assert_true(found("no. 1234 5678 9018, 7777")); /* a comma ends the group run */
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(check_digit_follows_the_formula),
    cmocka_unit_test(finds_the_forms_people_write),
    cmocka_unit_test(ordinary_numbers_are_not_individual_numbers),
    cmocka_unit_test(a_longer_run_hides_no_number_inside),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
