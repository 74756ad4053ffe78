#!/bin/sh
# Regenerate docs/design.md from the intro and the per-part sections
# (docs/design/*.md).  Run after editing any of them.
set -e
cd "$(dirname "$0")"
{
    cat design-intro.md.in
    n=4
    for f in design/*.md; do
        echo
        # shift headings so the part's top level becomes "## N. title"
        awk -v n="$n" '
            FNR == NR { if ($0 ~ /^#+ / && !infence) { l = index($0, " ") - 1; if (!min || l < min) min = l }
                        if ($0 ~ /^```/) infence = !infence; next }
            /^```/ { fence = !fence }
            !fence && /^#+ / {
                l = index($0, " ") - 1; t = substr($0, l + 2)
                lvl = l - min + 2
                if (lvl == 2 && !done) { print "## " n ". " t; done = 1; next }
                if (lvl == 2) lvl = 3
                s = ""; for (i = 0; i < lvl; i++) s = s "#"
                print s " " t; next
            }
            { print }' "$f" "$f"
        n=$((n + 1))
    done
} > design.md
