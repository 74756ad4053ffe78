/* Replacing a small state file all at once (attach intents, hand-over records,
 * the daemon's serve record and options, the guest's device tree). */
#ifndef PCIPT_FILE_REPLACE_H
#define PCIPT_FILE_REPLACE_H

#include <stddef.h>
#include <sys/types.h>

/* Make path hold exactly len bytes of buf, with permission bits mode.
 * The bytes go to a new file beside path ("<path>.tmpXXXXXX"), reach the disk
 * (fsync), and the new file is renamed over path: a reader sees the old file
 * or the new one, never a part, and a crash leaves one of the two (the
 * directory is not synced: which of the two is the file system's choice).  A link at
 * path is replaced, not followed.  0, or -errno with path as it was and no
 * temporary file left. */
int file_replace(const char *path, const void *buf, size_t len, mode_t mode);

#endif
