/* notice_ppap.c — the PPAP lines of the notice (see notice_ppap.h). Static wording only; every
 * name and detail from the mail goes through mugai_notice_display_name(). */
#include "sanitize/notice_ppap.h"

#include <string.h>
#include "sanitize/notice.h"

/* Each sentence is its fragments around the values, in one order for both languages: no
 * format strings built from data, and none that are not literals. */
typedef struct {
  const char *locked[2];     /* around the wait */
  /* around: the names, the time, a detail (why not; the wait), the quarantine id */
  const char *opened[5], *not_opened[5], *too_late[5];
  /* Why it did not open, in the reader's words, for what the worker's or unlock.c's reason
   * contains; the first that matches, the last one for anything else. */
  const char *why[8][2];
  const char *units[3], *unit_one[3]; /* after a count of days, hours, minutes; after 1 */
} ppap_wording;

/* Literals split over lines are parenthesised: one element each, as clang checks. */
static const ppap_wording ja = {
  .locked = {"    パスワードを待っています: 同じ送信者からパスワードを書いたメールが",
             "以内に届くと、このファイルを開いて検査し、中身をテキストにして別のメールでお届けします。"},
  .opened = {"パスワード付きファイル（", "、",
             (" に届いたメール）を、このメールのパスワードで開きました。"
              "中身は検査してテキストにし、別のメールでお届けします。"
              "このメールのパスワードは伏せ字（********）にしました。"),
             "", ""},
  .not_opened = {"このメールにあったパスワードの候補では、パスワード付きファイル（", "、",
                 " に届いたメール）を開けませんでした（",
                 "）。ファイルは隔離されたままです（隔離ID: ", "）。"},
  .too_late = {"パスワード付きファイル（", "、", " に届いたメール）は、パスワードを待つ時間（",
               "）を過ぎていたため開いていません。必要なら管理者に連絡してください（隔離ID: ",
               "）。"},
  .why = {{"wrong password", "パスワードが違います"},
          {"too large", "展開すると大きすぎます"},
          {"more than", "中のファイルが多すぎます"},
          {"not supported", "この形式の暗号化は開けません"},
          {"virus", "開けましたが、中にウイルスが見つかりました"},
          {"damaged", "ファイルが壊れています"},
          {"refused", "開けましたが、中身は届けられませんでした"},
          {"", "開く処理が失敗しました"}},
  .units = {"日", "時間", "分"},
  .unit_one = {"日", "時間", "分"},
};

static const ppap_wording en = {
  .locked = {("    Waiting for its password: when a mail from the same sender gives the "
              "password within "),
             (", this file is opened, checked, and its contents sent to you as text in another "
              "mail.")},
  .opened = {"The password-protected file (", ", in the mail of ",
             (") was opened with the password in this mail. Its contents were checked and are "
              "sent to you as text in another mail. The password in this mail was masked "
              "(********)."),
             "", ""},
  .not_opened = {"The passwords in this mail did not open the password-protected file (",
                 ", in the mail of ", "): ", ". The file stays in the quarantine (ID ", ")."},
  .too_late = {"The password-protected file (", ", in the mail of ",
               ") was not opened: this mail came after the wait for its password (",
               "). Ask your administrator if you need it (quarantine ID ", ")."},
  .why = {{"wrong password", "wrong password"},
          {"too large", "too large when unpacked"},
          {"more than", "too many files inside"},
          {"not supported", "this kind of encryption cannot be opened"},
          {"virus", "opened, but a virus was found inside"},
          {"damaged", "the file is damaged"},
          {"refused", "opened, but its contents could not be delivered"},
          {"", "opening it failed"}},
  .units = {" days", " hours", " minutes"},
  .unit_one = {" day", " hour", " minute"},
};

static const ppap_wording *
words_for(mugai_language language)
{
  return language == MUGAI_LANG_EN ? &en : &ja;
}

char *
mugai_notice_ppap_duration(mugai_language language, guint64 window)
{
  const ppap_wording *w = words_for(language);
  static const guint64 seconds[3] = {86400, 3600, 60};
  guint unit = 2; /* whole days or hours read as such; anything else in minutes */
  if (window >= 86400 && window % 86400 == 0)
    unit = 0;
  else if (window >= 3600 && window % 3600 == 0)
    unit = 1;
  guint count = (guint) MAX(window / seconds[unit], 1);
  return g_strdup_printf("%u%s", count, count == 1 ? w->unit_one[unit] : w->units[unit]);
}

void
mugai_notice_ppap_locked(GString *out, mugai_language language, guint64 window)
{
  const ppap_wording *w = words_for(language);
  g_autofree char *wait = mugai_notice_ppap_duration(language, window);
  g_string_append_printf(out, "%s%s%s\n", w->locked[0], wait, w->locked[1]);
}

/* "2026-12-02 10:15", the reader's local time. */
static char *
local_time(gint64 when)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_local(when);
  return t ? g_date_time_format(t, "%Y-%m-%d %H:%M") : g_strdup("?");
}

/* "パスワードが違います", or the reader's words for REASON with REASON itself after them (the
 * words an admin greps the log for): "展開すると大きすぎます: a member too large ...". */
static char *
why_not(const ppap_wording *w, const char *reason)
{
  gsize i = 0;
  while (i + 1 < G_N_ELEMENTS(w->why) && strstr(reason, w->why[i][0]) == NULL)
    i++;
  if (i == 0 || *reason == '\0')
    return g_strdup(w->why[i][1]);
  g_autofree char *shown = mugai_notice_display_name(reason);
  return g_strdup_printf("%s: %s", w->why[i][1], shown);
}

static void
append_attempt(GString *out, const ppap_wording *w, const mugai_unlock_attempt *a,
               const char *wait)
{
  g_autofree char *names = mugai_notice_display_name(a->names && *a->names ? a->names : "?");
  g_autofree char *when = local_time(a->time);
  g_autofree char *id = mugai_notice_display_name(a->quarantine_id);
  g_autofree char *detail = NULL;
  const char *const *around = w->opened;
  if (a->state == MUGAI_UNLOCK_ATTEMPT_NOT_OPENED) {
    around = w->not_opened;
    detail = why_not(w, a->detail ? a->detail : "");
  } else if (a->state == MUGAI_UNLOCK_ATTEMPT_TOO_LATE) {
    around = w->too_late;
    detail = g_strdup(wait);
  }
  const char *values[4] = {names, when, detail ? detail : "", around[4][0] ? id : ""};
  for (guint i = 0; i < 4; i++)
    g_string_append_printf(out, "%s%s", around[i], values[i]);
  g_string_append_printf(out, "%s\n", around[4]);
}

void
mugai_notice_ppap_attempts(GString *out, mugai_language language, const mugai_result *result,
                           guint64 window)
{
  const ppap_wording *w = words_for(language);
  g_autofree char *wait = mugai_notice_ppap_duration(language, window);
  for (guint i = 0; i < result->unlock_attempts->len; i++)
    append_attempt(out, w, g_ptr_array_index(result->unlock_attempts, i), wait);
}
