/* shown_addresses.h — outbound mail must not show many outside recipients to each other: the
 * outside addresses in To and Cc are counted ([outbound] max_shown_external_addresses). */
#pragma once
#include <gmime/gmime.h>
#include "config/policy.h"

/* How many distinct addresses in MESSAGE's To and Cc (groups included) are not in [gateway]
 * internal_domains (or below one). */
guint mugai_shown_external_addresses(const mugai_policy *policy, GMimeMessage *message);
