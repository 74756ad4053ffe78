#!/bin/sh
# Every document a comment cites must be in the repository: each Markdown
# file under docs/ named in the sources, scripts, the Makefile and the docs
# themselves exists, and each "Section" quoted right after it (as in
# docs/xen-facts.md "64 pages per call", "iomem permission") is part of one of
# that file's headings.  Citations of documents kept outside the repository
# (the old shared Xen facts file, the design's brief or the attach/daemon
# contract) are refused; the patterns are bracketed so that this file does
# not match them itself.  Run from the source tree (make unit does); exit 1
# on any fault.
set -eu
cd "${1:-.}"
files=$(find hostbridge its pcipt tests toolstack-hooks docs Makefile README.md .ci \
             -path tests/data -prune -o -path tests/fuzz/corpus -prune -o \
             -type f \( -name '*.[ch]' -o -name '*.sh' -o -name '*.md' -o -name Makefile \
                        -o -path '*/fakebin/*' -o -path '.ci/*' \) -print | sort)
# shellcheck disable=SC2086
perl -e '
    my $bad = 0;
    my @forbid = (qr/xen-arm-fact[s]/, qr/design[ ]brief/i, qr/CONTRACT[-]/, qr{shared[/]docs});
    for my $f (@ARGV) {
        open(my $fh, "<", $f) or die "$f: $!";
        my $text = do { local $/; <$fh> };
        for my $re (@forbid) {
            while ($text =~ /$re/g) {
                my $line = 1 + (substr($text, 0, pos($text)) =~ tr/\n//);
                print "$f:$line: cites a document that is not in the repository\n";
                $bad = 1;
            }
        }
        # join comment continuation lines so a quoted section may wrap
        (my $flat = $text) =~ s/\n[ \t]*(?:\*(?!\/)|#|\/\/)?[ \t]*/ /g;
        while ($flat =~ m{(?<![\w/.])(docs/[\w./-]+\.md)((?:\s*(?:,|and)?\s*"[^"\n]{1,80}")*)}g) {
            my ($doc, $secs) = ($1, $2);
            if (! -f $doc) { print "$f: cites $doc, which does not exist\n"; $bad = 1; next; }
            next unless $secs;
            open(my $dh, "<", $doc) or die;
            my @heads = grep { /^#+ / } <$dh>;
            for my $s ($secs =~ /"([^"]+)"/g) {
                next if grep { index($_, $s) >= 0 } @heads;
                print "$f: cites section \"$s\" of $doc, which has no such heading\n";
                $bad = 1;
            }
        }
    }
    exit $bad;
' $files
echo "check-doc-refs: every cited document and section exists"
