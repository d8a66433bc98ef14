#!/usr/bin/env bash
# Size limits for src/: no .rs file over 600 lines, no function over 80 lines
# (counted from the `fn` line to its closing brace, both included). Prints
# every offender and exits 1 if there is any.
#
# Functions are found by a heuristic, not a parser: a line that starts (after
# indentation) with an optional `pub`/`pub(...)`, `const`, `async`, `unsafe`
# and then `fn ` opens one; its body ends at the brace that brings the depth
# back to where the `fn` line stood. Braces in `//` and `/* */` comments, in
# strings (plain, byte, raw `r#"..."#`) and in char literals are skipped. A
# function nested in another is measured on its own and also counts towards
# the outer one. A bodiless `fn ...;` (trait method) is not measured.
# Usage: scripts/check-size.sh [MAX_FILE_LINES] [MAX_FN_LINES]
set -euo pipefail
cd "$(dirname "$0")/.."
max_file=${1:-600}
max_fn=${2:-80}

# xargs answers 123 when awk reports offenders (exit 1); fail with 1.
find src -name '*.rs' -type f | LC_ALL=C sort | xargs -d '\n' env LC_ALL=C awk \
  -v max_file="$max_file" -v max_fn="$max_fn" '
function reset_file() {
  depth = 0; pdepth = 0; top = 0
  in_str = 0; raw_hashes = -1; in_block = 0
}
function check_file_length(name, lines) {
  if (name != "" && lines > max_file) {
    printf "%s: %d lines (limit %d)\n", name, lines, max_file
    bad = 1
  }
}
function ident_char(c) { return c ~ /[A-Za-z0-9_]/ }
# Scan one line, tracking strings, comments and brace depth across lines.
function scan(line,    i, n, c, d, j, h) {
  n = length(line)
  i = 1
  while (i <= n) {
    c = substr(line, i, 1)
    if (in_block) {
      d = substr(line, i, 2)
      if (d == "*/") { in_block--; i += 2; continue }
      if (d == "/*") { in_block++; i += 2; continue }
      i++; continue
    }
    if (in_str) {
      if (raw_hashes >= 0) {
        if (c == "\"" && substr(line, i + 1, raw_hashes) == hashes(raw_hashes)) {
          in_str = 0; i += 1 + raw_hashes; raw_hashes = -1; continue
        }
        i++; continue
      }
      if (c == "\\") { i += 2; continue }
      if (c == "\"") in_str = 0
      i++; continue
    }
    d = substr(line, i, 2)
    if (d == "//") return
    if (d == "/*") { in_block = 1; i += 2; continue }
    if (c == "\"") { in_str = 1; raw_hashes = -1; i++; continue }
    # Raw strings: r"..", r#".."#, br"..": the r must start a token.
    if (c == "r" && (i == 1 || !ident_char(substr(line, i - 1, 1)) || \
        (substr(line, i - 1, 1) == "b" && (i == 2 || !ident_char(substr(line, i - 2, 1)))))) {
      j = i + 1; h = 0
      while (substr(line, j, 1) == "#") { j++; h++ }
      if (substr(line, j, 1) == "\"") { in_str = 1; raw_hashes = h; i = j + 1; continue }
    }
    if (c == "'\''") {
      d = substr(line, i + 1, 1)
      if (d == "\\") {
        # Escaped char literal: skip the escaped char, then up to the quote.
        j = i + 3
        while (j <= n && substr(line, j, 1) != "'\''") j++
        i = j + 1; continue
      }
      if (!ident_char(d)) {
        # Not a lifetime: a char literal, maybe several bytes long.
        j = i + 2
        while (j <= n && substr(line, j, 1) != "'\''") j++
        i = j + 1; continue
      }
      if (substr(line, i + 2, 1) == "'\''") { i += 3; continue }
      i++; continue # a lifetime or label
    }
    if (c == "(" || c == "[") pdepth++
    else if (c == ")" || c == "]") pdepth--
    else if (c == "{") {
      depth++
      if (top > 0 && !open[top] && depth - 1 == base[top]) open[top] = 1
    } else if (c == "}") {
      depth--
      if (top > 0 && open[top] && depth == base[top]) {
        if (FNR - start[top] + 1 > max_fn) {
          printf "%s:%d: fn %s is %d lines (limit %d)\n", FILENAME, start[top], name[top], FNR - start[top] + 1, max_fn
          bad = 1
        }
        top--
      }
    } else if (c == ";") {
      if (top > 0 && !open[top] && depth == base[top] && pdepth == pbase[top]) top--
    }
    i++
  }
}
function hashes(k,    s) { s = ""; while (k-- > 0) s = s "#"; return s }
FNR == 1 {
  check_file_length(prev_file, prev_lines)
  reset_file()
}
{
  prev_file = FILENAME; prev_lines = FNR
  if (!in_str && !in_block && $0 ~ /^[ \t]*(pub(\(.*\))? )?(const )?(async )?(unsafe )?fn /) {
    top++
    start[top] = FNR; base[top] = depth; pbase[top] = pdepth; open[top] = 0
    name[top] = substr($0, index($0, "fn ") + 3)
    sub(/[^A-Za-z0-9_].*$/, "", name[top])
  }
  scan($0)
}
END {
  check_file_length(prev_file, prev_lines)
  exit bad
}
' || exit 1
