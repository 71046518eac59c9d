/* rate_limit.c — the [ratelimit] counters and their answer (see rate_limit.h).
 *
 * Owns: two tables of counters (envelope senders, client addresses), each a hash table for the
 * look-up and a queue of the same entries, least recently seen first, for pruning and eviction
 * in O(1); the mutex around both.
 * Never: log (the milter logs the lines it gets back), keep a policy, or hold more than max_keys
 * entries in a table.
 */
#include "milter/rate_limit.h"

#include <string.h>
#include "sanitize/gateway.h"
#include "util/units.h"

#define SLOTS (MUGAI_RATE_LIMIT_BUCKETS + 1) /* the bucket filling now and a whole window before */
#define KEY_MAX 256  /* bytes of an address kept as its key (RFC 5321 allows 254) */
#define SHOWN_MAX 100 /* characters of a key in a log line */

typedef struct {
  GList link;        /* in rate_table.lru; data is the entry itself (no allocation per move) */
  char *key;         /* (owned) also the hash table's key */
  gint64 newest;     /* bucket number of the newest slot, advanced whenever the key is seen */
  guint32 count[SLOTS][MUGAI_RATE_UNITS]; /* count[b % SLOTS]: what passed in bucket b */
  gint64 quiet_until[MUGAI_RATE_UNITS];   /* no loud line for this unit before (seconds) */
} rate_entry;

typedef struct {
  const char *noun;    /* "senders", "client addresses" */
  GHashTable *entries; /* key (the entry's) → rate_entry * (owned) */
  GQueue lru;          /* the same entries, least recently seen at the head */
  guint forgotten;     /* entries dropped for room since the last overflow warning */
  gint64 quiet_until;  /* no overflow warning before (seconds) */
} rate_table;

struct mugai_rate_limiter {
  GMutex lock;
  guint64 window; /* seconds */
  gint64 width;   /* seconds per bucket */
  guint max_keys; /* per table */
  rate_table senders, clients;
};

static void
entry_free(gpointer data)
{
  rate_entry *e = data;
  g_free(e->key);
  g_free(e);
}

static void
table_init(rate_table *t, const char *noun)
{
  t->noun = noun;
  t->entries = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, entry_free);
  g_queue_init(&t->lru);
  t->forgotten = 0;
  t->quiet_until = 0;
}

/* The links are inside the entries: emptying the hash table frees them all, the queue is just
 * forgotten (g_queue_clear() would free the links a second time). */
static void
table_empty(rate_table *t)
{
  g_hash_table_remove_all(t->entries);
  g_queue_init(&t->lru);
}

static void
table_remove(rate_table *t, rate_entry *e)
{
  g_queue_unlink(&t->lru, &e->link);
  g_hash_table_remove(t->entries, e->key); /* frees E */
}

/* Bring E's slots up to BUCKET: the buckets that left the window since are emptied. */
static void
entry_advance(rate_entry *e, gint64 bucket)
{
  if (bucket <= e->newest) /* another thread read the clock a moment earlier */
    return;
  if (bucket - e->newest >= SLOTS) {
    memset(e->count, 0, sizeof e->count);
  } else {
    for (gint64 b = e->newest + 1; b <= bucket; b++)
      memset(e->count[b % SLOTS], 0, sizeof e->count[0]);
  }
  e->newest = bucket;
}

static guint64
entry_sum(const rate_entry *e, mugai_rate_unit unit)
{
  guint64 sum = 0;
  for (int s = 0; s < SLOTS; s++)
    sum += e->count[s][unit];
  return sum;
}

/* Entries unseen for a whole window hold nothing: drop them, oldest first. */
static void
table_prune(rate_table *t, gint64 bucket)
{
  while (t->lru.head != NULL) {
    rate_entry *oldest = t->lru.head->data;
    if (bucket - oldest->newest < SLOTS)
      return;
    table_remove(t, oldest);
  }
}

/* (transfer none) (nullable) KEY's entry, brought up to BUCKET and made the most recent. */
static rate_entry *
table_seen(rate_table *t, const char *key, gint64 bucket)
{
  rate_entry *e = key ? g_hash_table_lookup(t->entries, key) : NULL;
  if (e == NULL)
    return NULL;
  entry_advance(e, bucket);
  g_queue_unlink(&t->lru, &e->link);
  g_queue_push_tail_link(&t->lru, &e->link);
  return e;
}

/* (transfer none) a new entry for KEY (not in T), making room first: past MAX_KEYS the least
 * recently seen key is forgotten. */
static rate_entry *
table_add(rate_table *t, const char *key, gint64 bucket, guint max_keys)
{
  while (g_hash_table_size(t->entries) >= max_keys && t->lru.head != NULL) {
    table_remove(t, t->lru.head->data);
    t->forgotten++;
  }
  rate_entry *e = g_new0(rate_entry, 1);
  e->key = g_strdup(key);
  e->newest = bucket;
  e->link.data = e;
  g_hash_table_insert(t->entries, e->key, e);
  g_queue_push_tail_link(&t->lru, &e->link);
  return e;
}

mugai_rate_limiter *
mugai_rate_limiter_new(guint64 window, guint max_keys)
{
  g_return_val_if_fail(window > 0 && max_keys > 0, NULL);
  mugai_rate_limiter *limiter = g_new0(mugai_rate_limiter, 1);
  g_mutex_init(&limiter->lock);
  limiter->max_keys = max_keys;
  table_init(&limiter->senders, "senders");
  table_init(&limiter->clients, "client addresses");
  mugai_rate_limiter_set_window(limiter, window);
  return limiter;
}

void
mugai_rate_limiter_free(mugai_rate_limiter *limiter)
{
  if (limiter == NULL)
    return;
  table_empty(&limiter->senders);
  table_empty(&limiter->clients);
  g_hash_table_unref(limiter->senders.entries);
  g_hash_table_unref(limiter->clients.entries);
  g_mutex_clear(&limiter->lock);
  g_free(limiter);
}

gboolean
mugai_rate_limiter_set_window(mugai_rate_limiter *limiter, guint64 window)
{
  g_return_val_if_fail(limiter != NULL && window > 0, FALSE);
  g_mutex_lock(&limiter->lock);
  gboolean changed = limiter->window != 0 && limiter->window != window;
  if (limiter->window != window) {
    table_empty(&limiter->senders);
    table_empty(&limiter->clients);
    limiter->window = window;
    /* Rounded up, so that what passed counts for at least one whole window. */
    guint64 width = (window + MUGAI_RATE_LIMIT_BUCKETS - 1) / MUGAI_RATE_LIMIT_BUCKETS;
    limiter->width = (gint64) MAX(width, (guint64) 1);
  }
  g_mutex_unlock(&limiter->lock);
  return changed;
}

static guint
table_size(mugai_rate_limiter *limiter, rate_table *t)
{
  g_mutex_lock(&limiter->lock);
  guint n = g_hash_table_size(t->entries);
  g_mutex_unlock(&limiter->lock);
  return n;
}

guint
mugai_rate_limiter_get_senders(mugai_rate_limiter *limiter)
{
  return table_size(limiter, &limiter->senders);
}

guint
mugai_rate_limiter_get_clients(mugai_rate_limiter *limiter)
{
  return table_size(limiter, &limiter->clients);
}

void
mugai_rate_outcome_clear(mugai_rate_outcome *outcome)
{
  g_clear_pointer(&outcome->deferred, mugai_result_free);
  g_clear_pointer(&outcome->loud, g_free);
  g_clear_pointer(&outcome->overflow, g_free);
}

/* ---- the answer ------------------------------------------------------------------------------ */

enum { SENDER, CLIENT, KINDS };

/* The limit a key reached, copied out of the table so that the texts are made without the lock. */
typedef struct {
  int kind;             /* SENDER or CLIENT */
  mugai_rate_unit unit;
  guint64 count;
  guint limit;
  char *key;            /* (owned) */
  gboolean loud;
} reached_limit;

static gboolean
applies(mugai_ratelimit_direction counted, mugai_direction direction)
{
  switch (counted) {
  case MUGAI_RATELIMIT_OUTBOUND: return direction == MUGAI_DIRECTION_OUT;
  case MUGAI_RATELIMIT_INBOUND: return direction == MUGAI_DIRECTION_IN;
  case MUGAI_RATELIMIT_BOTH: return TRUE;
  case MUGAI_RATELIMIT_NO: return FALSE;
  }
  return FALSE;
}

/* Which limit of the keys' entries E (nullable) one more UNIT would pass, in the order sender
 * messages, sender recipients, client messages, client recipients. At MAIL FROM a key whose
 * recipients are used up is over too: any recipient would pass that limit. */
static gboolean
find_reached(rate_entry *const e[KINDS], const guint limits[KINDS][MUGAI_RATE_UNITS],
             mugai_rate_unit unit, reached_limit *out, rate_entry **entry)
{
  for (int kind = 0; kind < KINDS; kind++) {
    for (int u = unit; e[kind] != NULL && u < MUGAI_RATE_UNITS; u++) {
      guint64 count = entry_sum(e[kind], (mugai_rate_unit) u);
      if (limits[kind][u] == 0 || count < limits[kind][u])
        continue;
      *out = (reached_limit) {kind, (mugai_rate_unit) u, count, limits[kind][u], NULL, FALSE};
      *entry = e[kind];
      return TRUE;
    }
  }
  return FALSE;
}

static void
count_one(rate_entry *e, mugai_rate_unit unit)
{
  guint32 *slot = &e->count[e->newest % SLOTS][unit];
  if (*slot < G_MAXUINT32)
    (*slot)++;
}

/* "rate limit: more than 50000 senders within 1h: ..." once per window, or NULL. */
static char *
overflow_warning(const mugai_rate_limiter *limiter, rate_table *t, gint64 now)
{
  if (t->forgotten == 0 || now < t->quiet_until)
    return NULL;
  char window[MUGAI_DURATION_TEXT_MAX];
  char *line = g_strdup_printf("rate limit: more than %u %s within %s: the least recently seen are "
                               "no longer counted (%u forgotten; a spray of random %s?)",
                               limiter->max_keys, t->noun, mugai_format_duration(limiter->window,
                                                                                 window),
                               t->forgotten, t->noun);
  t->forgotten = 0;
  t->quiet_until = now + (gint64) limiter->window;
  return line;
}

/* "sender=<KEY> REST" or "client=KEY REST". (transfer full) */
static char *
key_text(int kind, const char *key, const char *rest)
{
  return kind == SENDER ? g_strdup_printf("sender=<%s> %s", key, rest)
                        : g_strdup_printf("client=%s %s", key, rest);
}

/* The deferral: reply, detail for the summary line, and the loud line when it is due. */
static void
defer(const mugai_ratelimit_policy *rl, mugai_direction direction, guint64 window,
      const reached_limit *r, mugai_rate_outcome *out)
{
  static const char *const kind_names[] = {"sender", "client"};
  static const char *const unit_names[] = {"messages", "recipients"};
  static const char *const one_name[] = {"message", "recipient"};
  char within[MUGAI_DURATION_TEXT_MAX];
  mugai_format_duration(window, within);
  /* "sender=<a@b> sent 300 messages in 1h, the limit of [ratelimit] sender_messages = 300";
   * the key as it is for the result (which escapes its detail itself), escaped for the log */
  g_autofree char *cut = g_strndup(r->key, SHOWN_MAX);
  g_autofree char *escaped = g_strescape(cut, NULL);
  g_autofree char *limit = g_strdup_printf(
      "sent %s%" G_GUINT64_FORMAT " %s in %s, the limit of [ratelimit] %s_%s = %u",
      r->unit == MUGAI_RATE_RECIPIENT ? "to " : "", r->count,
      r->count == 1 ? one_name[r->unit] : unit_names[r->unit], within,
      kind_names[r->kind], unit_names[r->unit], r->limit);
  g_autofree char *detail = key_text(r->kind, cut, limit);
  g_autofree char *what = key_text(r->kind, escaped, limit);
  out->deferred = mugai_result_new(direction);
  mugai_result_set_refusal(out->deferred, MUGAI_VERDICT_TEMPFAIL, MUGAI_REASON_RATE_LIMIT, detail);
  const char *clause = rl->clause;
  /* "451 4.7.1 Mass mailing limit reached, please try again later (too many messages from this
   * sender in 1h; clause 10a)": the clause only when ASCII, as replies are */
  if (*clause && g_str_is_ascii(clause))
    mugai_result_reply_note(out->deferred, "too many %s from this %s in %s; clause %s",
                            unit_names[r->unit], r->kind == SENDER ? "sender" : "client address",
                            within, clause);
  else
    mugai_result_reply_note(out->deferred, "too many %s from this %s in %s", unit_names[r->unit],
                            r->kind == SENDER ? "sender" : "client address", within);
  out->deferred->clause = *clause ? g_strdup(clause) : NULL;
  if (r->loud) /* the clause is the admin's own text: valid UTF-8 without control characters */
    out->loud = g_strdup_printf("rate limit: %s; deferring more (mass mailing?)%s%s", what,
                                *clause ? "; clause " : "", clause);
}

void
mugai_rate_limiter_check(mugai_rate_limiter *limiter, const mugai_policy *policy,
                         mugai_direction direction, mugai_rate_unit unit, const char *sender,
                         const char *client, gint64 now, mugai_rate_outcome *out)
{
  g_return_if_fail(limiter != NULL && policy != NULL && out != NULL && unit < MUGAI_RATE_UNITS);
  const mugai_ratelimit_policy *rl = &policy->ratelimit;
  if (!applies(rl->direction, direction) ||
      mugai_gateway_address_listed(rl->exempt_senders, sender) ||
      mugai_gateway_in_networks(rl->exempt_client_masks, client))
    return;
  const guint limits[KINDS][MUGAI_RATE_UNITS] = {
    {rl->sender_messages, rl->sender_recipients}, {rl->client_messages, rl->client_recipients}};
  /* The null sender (bounces) has no sender to count; a client without an address neither. */
  g_autofree char *sender_key = sender && *sender && (limits[SENDER][0] || limits[SENDER][1])
                                    ? g_ascii_strdown(sender, (gssize) MIN(strlen(sender), KEY_MAX))
                                    : NULL;
  const char *client_key = client && g_hostname_is_ip_address(client) &&
                                   (limits[CLIENT][0] || limits[CLIENT][1])
                               ? client
                               : NULL;
  if (sender_key == NULL && client_key == NULL)
    return;
  rate_table *tables[KINDS] = {&limiter->senders, &limiter->clients};
  const char *keys[KINDS] = {sender_key, client_key};
  reached_limit reached = {0};
  gboolean deferred = FALSE;

  g_mutex_lock(&limiter->lock);
  now = MAX(now, (gint64) 0);
  gint64 bucket = now / limiter->width;
  rate_entry *e[KINDS];
  for (int k = 0; k < KINDS; k++) {
    table_prune(tables[k], bucket);
    e[k] = table_seen(tables[k], keys[k], bucket);
  }
  rate_entry *over = NULL;
  if (find_reached(e, limits, unit, &reached, &over)) {
    deferred = TRUE;
    reached.key = g_strdup(over->key);
    reached.loud = now >= over->quiet_until[reached.unit];
    if (reached.loud) /* once per key, unit and window: a spam run must not flood the log */
      over->quiet_until[reached.unit] = now + (gint64) limiter->window;
  } else {
    for (int k = 0; k < KINDS; k++) {
      if (keys[k] != NULL && e[k] == NULL)
        e[k] = table_add(tables[k], keys[k], bucket, limiter->max_keys);
      if (e[k] != NULL)
        count_one(e[k], unit);
    }
  }
  g_autofree char *senders_overflow = overflow_warning(limiter, &limiter->senders, now);
  g_autofree char *clients_overflow = overflow_warning(limiter, &limiter->clients, now);
  guint64 window = limiter->window;
  g_mutex_unlock(&limiter->lock);

  if (senders_overflow && clients_overflow)
    out->overflow = g_strconcat(senders_overflow, "; ", clients_overflow, NULL);
  else if (senders_overflow || clients_overflow)
    out->overflow = g_strdup(senders_overflow ? senders_overflow : clients_overflow);
  if (deferred)
    defer(rl, direction, window, &reached, out);
  g_free(reached.key);
}
