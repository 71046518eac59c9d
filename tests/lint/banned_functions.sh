#!/usr/bin/env bash
# banned_functions.sh SOURCE_DIR — curl's checksrc idea: C functions that overflow, lose errors or
# keep hidden state have no place in mugai's sources. Prints each use and fails when there is one.
set -euo pipefail
src="${1:?usage: banned_functions.sh SOURCE_DIR}"
banned='sprintf|vsprintf|strcpy|strcat|strncpy|strncat|strtok|atoi|atol|atoll|atof|sscanf|gets|tmpnam|mktemp|asctime|ctime|gmtime|localtime|rand|srand|system|popen'
hits=$(grep -rnE "(^|[^_a-zA-Z0-9.>])($banned)[[:space:]]*\(" "$src/src" "$src/tests" "$src/bench" \
         --include='*.c' --include='*.h' | grep -vE '^\S+:[0-9]+:\s*(/\*|\*|//)' || true)
if [ -n "$hits" ]; then
  echo "banned functions used (use GLib: g_snprintf/g_strlcpy/g_ascii_strtoull/g_strsplit...):"
  echo "$hits"
  exit 1
fi
echo "no banned functions in $src/{src,tests,bench}"
