/* test_rate_limit.c — the [ratelimit] counters as the milter uses them: what passes, what is
 * deferred with which reply and log lines, how the window slides, exemptions and directions,
 * the bound on tracked keys, a reload's new thresholds on old counts, and several threads at once.
 * The clock is passed in, so every case is exact. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "config/config.h"
#include "milter/rate_limit.h"

#define OUT MUGAI_DIRECTION_OUT
#define IN MUGAI_DIRECTION_IN
#define MSG MUGAI_RATE_MESSAGE
#define RCPT MUGAI_RATE_RECIPIENT
#define HOUR 3600
#define CLIENT "192.0.2.25"
#define SENDER "taro@city.example.lg.jp"

static mugai_policy *policy_of(const char *ratelimit_keys)
{
  g_autofree char *text = g_strdup_printf("[ratelimit]\n%s", ratelimit_keys);
  GError *error = NULL;
  mugai_policy *policy = mugai_config_parse(text, strlen(text), "test.conf", NULL, &error);
  if (policy == NULL)
    fail_msg("%s", error->message);
  return policy;
}

/* Checks one unit; TRUE when it passed. *OUT (nullable) receives the outcome. */
static gboolean check_full(mugai_rate_limiter *rl, const mugai_policy *p, mugai_direction dir,
                           mugai_rate_unit unit, const char *sender, const char *client,
                           gint64 now, mugai_rate_outcome *out)
{
  g_auto(mugai_rate_outcome) mine = {0};
  mugai_rate_outcome *o = out ? out : &mine;
  mugai_rate_limiter_check(rl, p, dir, unit, sender, client, now, o);
  return o->deferred == NULL;
}

static gboolean passes(mugai_rate_limiter *rl, const mugai_policy *p, mugai_rate_unit unit,
                       const char *sender, gint64 now)
{
  return check_full(rl, p, OUT, unit, sender, CLIENT, now, NULL);
}

/* ---- what passes and what a deferral says ----------------------------------------------------- */

static void defers_the_message_after_the_limit_with_451_and_one_loud_line(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) p = policy_of("sender_messages = 3\n");
  g_autoptr(mugai_rate_limiter) rl = mugai_rate_limiter_new(HOUR, 100);
  for (int i = 0; i < 3; i++)
    assert_true(passes(rl, p, MSG, SENDER, 10 + i));
  g_auto(mugai_rate_outcome) out = {0};
  assert_false(check_full(rl, p, OUT, MSG, "Taro@City.Example.LG.JP", CLIENT, 20, &out));
  const mugai_result *r = out.deferred;
  assert_int_equal(r->verdict, MUGAI_VERDICT_TEMPFAIL);
  assert_int_equal(r->reason, MUGAI_REASON_RATE_LIMIT);
  assert_string_equal(r->reply_code, "451");
  assert_string_equal(r->reply_status, "4.7.1");
  assert_string_equal(r->reply_text, "Mass mailing limit reached, please try again later "
                                     "(too many messages from this sender in 1h)");
  assert_string_equal(r->detail, "sender=<taro@city.example.lg.jp> sent 3 messages in 1h, the "
                                 "limit of [ratelimit] sender_messages = 3");
  assert_null(r->clause);
  assert_string_equal(out.loud, "rate limit: sender=<taro@city.example.lg.jp> sent 3 messages in "
                                "1h, the limit of [ratelimit] sender_messages = 3; deferring more "
                                "(mass mailing?)");
  assert_null(out.overflow);
  g_autofree char *summary = mugai_result_summary(r, 0);
  assert_non_null(strstr(summary, "verdict=tempfail "));
  assert_non_null(strstr(summary, " reason=rate_limit reply=\"451 4.7.1 Mass mailing limit"));

  /* Deferred again, quietly: one loud line per key and window, however long the run. */
  for (int i = 0; i < 50; i++) {
    g_auto(mugai_rate_outcome) again = {0};
    assert_false(check_full(rl, p, OUT, MSG, SENDER, CLIENT, 30 + i, &again));
    assert_null(again.loud);
    assert_non_null(again.deferred->reply_text);
  }
  /* Another sender is not affected. */
  assert_true(passes(rl, p, MSG, "hanako@city.example.lg.jp", 90));
}

static void names_the_clause_in_the_reply_only_when_ascii(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) ascii = policy_of("sender_messages = 1\nclause = 10a\n");
  g_autoptr(mugai_policy) ja = policy_of("sender_messages = 1\nclause = 対策基準 ⑩ア\n");
  g_autoptr(mugai_rate_limiter) rl = mugai_rate_limiter_new(HOUR, 100);
  assert_true(passes(rl, ascii, MSG, SENDER, 0));
  g_auto(mugai_rate_outcome) a = {0};
  assert_false(check_full(rl, ascii, OUT, MSG, SENDER, CLIENT, 1, &a));
  assert_string_equal(a.deferred->reply_text, "Mass mailing limit reached, please try again later "
                                              "(too many messages from this sender in 1h; clause 10a)");
  assert_string_equal(a.deferred->clause, "10a");
  assert_string_equal(a.deferred->detail, "sender=<taro@city.example.lg.jp> sent 1 message in 1h, "
                                          "the limit of [ratelimit] sender_messages = 1");
  assert_true(g_str_has_suffix(a.loud, "; deferring more (mass mailing?); clause 10a"));
  g_auto(mugai_rate_outcome) j = {0};
  assert_true(passes(rl, ja, MSG, "jiro@city.example.lg.jp", 2));
  assert_false(check_full(rl, ja, OUT, MSG, "jiro@city.example.lg.jp", CLIENT, 3, &j));
  assert_string_equal(j.deferred->reply_text, "Mass mailing limit reached, please try again later "
                                              "(too many messages from this sender in 1h)");
  assert_string_equal(j.deferred->clause, "対策基準 ⑩ア");
  assert_true(g_str_has_suffix(j.loud, "; clause 対策基準 ⑩ア"));
}

static void limits_recipients_at_rcpt_and_then_the_next_message(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) p = policy_of("sender_messages = 100\nsender_recipients = 5\n");
  g_autoptr(mugai_rate_limiter) rl = mugai_rate_limiter_new(HOUR, 100);
  assert_true(passes(rl, p, MSG, SENDER, 0));
  for (int i = 0; i < 5; i++)
    assert_true(passes(rl, p, RCPT, SENDER, 1));
  g_auto(mugai_rate_outcome) out = {0};
  assert_false(check_full(rl, p, OUT, RCPT, SENDER, CLIENT, 2, &out));
  assert_string_equal(out.deferred->reply_text, "Mass mailing limit reached, please try again "
                                                "later (too many recipients from this sender in 1h)");
  assert_string_equal(out.loud, "rate limit: sender=<taro@city.example.lg.jp> sent to 5 recipients "
                                "in 1h, the limit of [ratelimit] sender_recipients = 5; deferring "
                                "more (mass mailing?)");
  /* Every recipient would pass the limit: the next message is deferred at MAIL FROM, quietly
   * (the recipients' loud line was given). */
  g_auto(mugai_rate_outcome) next = {0};
  assert_false(check_full(rl, p, OUT, MSG, SENDER, CLIENT, 3, &next));
  assert_non_null(strstr(next.deferred->reply_text, "too many recipients from this sender"));
  assert_null(next.loud);
}

static void counts_clients_and_the_null_sender_by_client_only(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) p = policy_of("sender_messages = 1\nclient_messages = 3\n"
                                        "client_recipients = 0\n");
  g_autoptr(mugai_rate_limiter) rl = mugai_rate_limiter_new(HOUR, 100);
  assert_true(passes(rl, p, MSG, "", 0));
  assert_true(passes(rl, p, MSG, "", 1)); /* bounces: no sender to count */
  assert_true(passes(rl, p, MSG, "a@city.example.lg.jp", 2));
  assert_int_equal(mugai_rate_limiter_get_senders(rl), 1);
  assert_int_equal(mugai_rate_limiter_get_clients(rl), 1);
  g_auto(mugai_rate_outcome) out = {0};
  assert_false(check_full(rl, p, OUT, MSG, "b@city.example.lg.jp", CLIENT, 3, &out));
  assert_string_equal(out.deferred->reply_text, "Mass mailing limit reached, please try again "
                                                "later (too many messages from this client "
                                                "address in 1h)");
  assert_string_equal(out.loud, "rate limit: client=192.0.2.25 sent 3 messages in 1h, the limit "
                                "of [ratelimit] client_messages = 3; deferring more (mass mailing?)");
  assert_false(check_full(rl, p, OUT, MSG, "", CLIENT, 4, NULL));
  /* Another client, and a client without an address (not counted by client). */
  assert_true(check_full(rl, p, OUT, MSG, "", "2001:db8::25", 5, NULL));
  assert_true(check_full(rl, p, OUT, MSG, "c@city.example.lg.jp", "unknown", 6, NULL));
  assert_false(check_full(rl, p, OUT, MSG, "c@city.example.lg.jp", "unknown", 7, NULL));
}

/* ---- the window ------------------------------------------------------------------------------- */

static void counts_for_one_window_and_at_most_a_twelfth_more(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) p = policy_of("sender_messages = 3\n");
  g_autoptr(mugai_rate_limiter) rl = mugai_rate_limiter_new(HOUR, 100); /* buckets of 300 s */
  assert_true(passes(rl, p, MSG, SENDER, 0));
  assert_true(passes(rl, p, MSG, SENDER, 1000));
  assert_true(passes(rl, p, MSG, SENDER, 2000));
  assert_false(passes(rl, p, MSG, SENDER, 2001));
  assert_false(passes(rl, p, MSG, SENDER, HOUR - 1));
  assert_false(passes(rl, p, MSG, SENDER, HOUR + 299)); /* the message of 0 still counts */
  assert_true(passes(rl, p, MSG, SENDER, HOUR + 300));  /* now it has left the window */
  /* Deferred attempts did not count: one passed, and the run is deferred again at once. */
  assert_false(passes(rl, p, MSG, SENDER, HOUR + 301));
  assert_true(passes(rl, p, MSG, SENDER, 1000 + HOUR + 300));
}

static void says_it_loudly_again_in_the_next_window(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) p = policy_of("sender_messages = 2\nwindow = 2h\n");
  g_autoptr(mugai_rate_limiter) rl = mugai_rate_limiter_new(2 * HOUR, 100); /* buckets of 600 s */
  assert_true(passes(rl, p, MSG, SENDER, 4000));
  assert_true(passes(rl, p, MSG, SENDER, 4050));
  g_auto(mugai_rate_outcome) first = {0}, quiet = {0}, again = {0};
  assert_false(check_full(rl, p, OUT, MSG, SENDER, CLIENT, 4100, &first));
  assert_non_null(strstr(first.loud, " in 2h, "));
  assert_false(check_full(rl, p, OUT, MSG, SENDER, CLIENT, 4100 + 2 * HOUR - 1, &quiet));
  assert_null(quiet.loud);
  assert_false(check_full(rl, p, OUT, MSG, SENDER, CLIENT, 4100 + 2 * HOUR, &again));
  assert_non_null(again.loud);
}

static void a_reload_keeps_the_counts_and_a_new_window_starts_them_again(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) old = policy_of("sender_messages = 10\n");
  g_autoptr(mugai_policy) lower = policy_of("sender_messages = 4\n");
  g_autoptr(mugai_rate_limiter) rl = mugai_rate_limiter_new(HOUR, 100);
  for (int i = 0; i < 4; i++)
    assert_true(passes(rl, old, MSG, SENDER, i));
  assert_true(passes(rl, old, MSG, SENDER, 5));  /* the fifth, under the old threshold */
  assert_false(mugai_rate_limiter_set_window(rl, HOUR)); /* same window: nothing dropped */
  g_auto(mugai_rate_outcome) out = {0};
  assert_false(check_full(rl, lower, OUT, MSG, SENDER, CLIENT, 6, &out));
  assert_non_null(strstr(out.deferred->detail, "sent 5 messages in 1h, the limit of [ratelimit] "
                                               "sender_messages = 4"));
  assert_true(mugai_rate_limiter_set_window(rl, 2 * HOUR));
  assert_int_equal(mugai_rate_limiter_get_senders(rl), 0);
  assert_true(passes(rl, lower, MSG, SENDER, 7));
}

/* ---- which mail is counted -------------------------------------------------------------------- */

static void exempt_and_other_direction_mail_is_neither_counted_nor_limited(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) p = policy_of("sender_messages = 1\nclient_messages = 1\n"
                                        "exempt_senders = news@city.example.lg.jp, @example.jp\n"
                                        "exempt_clients = 198.51.100.0/24, 2001:db8:1::/48\n");
  g_autoptr(mugai_rate_limiter) rl = mugai_rate_limiter_new(HOUR, 100);
  for (int i = 0; i < 5; i++) {
    assert_true(passes(rl, p, MSG, "NEWS@city.example.lg.jp", i));
    assert_true(passes(rl, p, MSG, "anyone@example.jp", i));
    assert_true(check_full(rl, p, OUT, MSG, SENDER, "198.51.100.7", i, NULL));
    assert_true(check_full(rl, p, OUT, MSG, SENDER, "2001:db8:1::9", i, NULL));
    assert_true(check_full(rl, p, IN, MSG, SENDER, CLIENT, i, NULL)); /* direction = outbound */
  }
  assert_int_equal(mugai_rate_limiter_get_senders(rl), 0);
  assert_int_equal(mugai_rate_limiter_get_clients(rl), 0);
  assert_true(passes(rl, p, MSG, SENDER, 10));
  assert_false(passes(rl, p, MSG, SENDER, 11));

  g_autoptr(mugai_policy) inbound = policy_of("sender_messages = 1\ndirection = inbound\n");
  g_autoptr(mugai_policy) both = policy_of("sender_messages = 1\ndirection = both\n");
  g_autoptr(mugai_policy) no = policy_of("sender_messages = 1\ndirection = no\n");
  g_autoptr(mugai_rate_limiter) r2 = mugai_rate_limiter_new(HOUR, 100);
  assert_true(check_full(r2, inbound, OUT, MSG, SENDER, CLIENT, 0, NULL));
  assert_true(check_full(r2, inbound, OUT, MSG, SENDER, CLIENT, 0, NULL));
  assert_true(check_full(r2, inbound, IN, MSG, "x@example.com", CLIENT, 0, NULL));
  assert_false(check_full(r2, inbound, IN, MSG, "x@example.com", CLIENT, 0, NULL));
  assert_false(check_full(r2, both, OUT, MSG, "x@example.com", CLIENT, 0, NULL));
  assert_true(check_full(r2, no, IN, MSG, "x@example.com", CLIENT, 0, NULL));
  assert_true(check_full(r2, no, OUT, MSG, "x@example.com", CLIENT, 0, NULL));
}

static void zero_turns_a_limit_off_and_untracked_keys_cost_nothing(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) p = policy_of("sender_messages = 0\nsender_recipients = 0\n");
  g_autoptr(mugai_rate_limiter) rl = mugai_rate_limiter_new(HOUR, 100);
  for (int i = 0; i < 2000; i++)
    assert_true(passes(rl, p, i % 2 ? RCPT : MSG, SENDER, i));
  assert_int_equal(mugai_rate_limiter_get_senders(rl), 0);
  assert_int_equal(mugai_rate_limiter_get_clients(rl), 0); /* client limits are off by default */
}

/* ---- memory ----------------------------------------------------------------------------------- */

static void drops_keys_unseen_for_a_window(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) p = policy_of("sender_messages = 5\n");
  g_autoptr(mugai_rate_limiter) rl = mugai_rate_limiter_new(HOUR, 1000);
  for (int i = 0; i < 100; i++) {
    g_autofree char *sender = g_strdup_printf("user%d@city.example.lg.jp", i);
    assert_true(passes(rl, p, MSG, sender, i));
  }
  assert_int_equal(mugai_rate_limiter_get_senders(rl), 100);
  assert_true(passes(rl, p, MSG, "late@city.example.lg.jp", HOUR + 300));
  assert_int_equal(mugai_rate_limiter_get_senders(rl), 1);
}

static void a_spray_of_senders_stays_within_the_bound_and_the_busy_key_stays(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) p = policy_of("sender_messages = 2\n");
  g_autoptr(mugai_rate_limiter) rl = mugai_rate_limiter_new(HOUR, 50);
  assert_true(passes(rl, p, MSG, SENDER, 0));
  assert_true(passes(rl, p, MSG, SENDER, 0));
  guint warnings = 0;
  for (int i = 0; i < 10000; i++) {
    g_autofree char *sender = g_strdup_printf("r%d@spam.example", i);
    g_auto(mugai_rate_outcome) out = {0};
    assert_true(check_full(rl, p, OUT, MSG, sender, CLIENT, 1 + i / 100, &out));
    if (out.overflow) {
      warnings++;
      assert_string_equal(out.overflow, "rate limit: more than 50 senders within 1h: the least "
                                        "recently seen are no longer counted (1 forgotten; a spray "
                                        "of random senders?)");
    }
    assert_true(mugai_rate_limiter_get_senders(rl) <= 50);
    if (i % 40 == 0) /* the spammer keeps trying: it stays recently seen, and deferred */
      assert_false(passes(rl, p, MSG, SENDER, 1 + i / 100));
  }
  assert_int_equal(warnings, 1); /* once per window */
  assert_int_equal(mugai_rate_limiter_get_senders(rl), 50);
}

/* ---- threads ---------------------------------------------------------------------------------- */

typedef struct {
  mugai_rate_limiter *rl;
  const mugai_policy *policy;
  gint passed;
} race;

static gpointer race_thread(gpointer data)
{
  race *r = data;
  for (int i = 0; i < 500; i++) {
    g_auto(mugai_rate_outcome) out = {0};
    mugai_rate_limiter_check(r->rl, r->policy, OUT, MSG, SENDER, CLIENT, 100, &out);
    if (out.deferred == NULL)
      g_atomic_int_inc(&r->passed);
  }
  return NULL;
}

static void threads_together_pass_exactly_the_limit(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) p = policy_of("sender_messages = 777\n");
  g_autoptr(mugai_rate_limiter) rl = mugai_rate_limiter_new(HOUR, 100);
  race r = {rl, p, 0};
  GThread *threads[4];
  for (int i = 0; i < 4; i++)
    threads[i] = g_thread_new("race", race_thread, &r);
  for (int i = 0; i < 4; i++)
    g_thread_join(threads[i]);
  assert_int_equal(r.passed, 777);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(defers_the_message_after_the_limit_with_451_and_one_loud_line),
    cmocka_unit_test(names_the_clause_in_the_reply_only_when_ascii),
    cmocka_unit_test(limits_recipients_at_rcpt_and_then_the_next_message),
    cmocka_unit_test(counts_clients_and_the_null_sender_by_client_only),
    cmocka_unit_test(counts_for_one_window_and_at_most_a_twelfth_more),
    cmocka_unit_test(says_it_loudly_again_in_the_next_window),
    cmocka_unit_test(a_reload_keeps_the_counts_and_a_new_window_starts_them_again),
    cmocka_unit_test(exempt_and_other_direction_mail_is_neither_counted_nor_limited),
    cmocka_unit_test(zero_turns_a_limit_off_and_untracked_keys_cost_nothing),
    cmocka_unit_test(drops_keys_unseen_for_a_window),
    cmocka_unit_test(a_spray_of_senders_stays_within_the_bound_and_the_busy_key_stays),
    cmocka_unit_test(threads_together_pass_exactly_the_limit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
