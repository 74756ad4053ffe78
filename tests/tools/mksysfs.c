/* mksysfs DIR DUMP...: build a sysfs-shaped tree (see tests/support/sysfs_tree.h)
 * from lspci -xxxx dumps, for humans: `lspci -O sysfs.path=DIR -vv`,
 * `pcipt --sysfs DIR list`.  Functions keep the dump's kernel driver;
 * every function gets reset_method "flr bus". */
#include <stdio.h>

#include "tests/support/sysfs_tree.h"

int main(int argc, char **argv)
{
    struct tree_opts o = { .driver = TREE_DRIVER_FROM_DUMP, .reset_method = "flr bus" };
    char err[512];

    if (argc < 3) {
        fprintf(stderr, "usage: mksysfs DIR DUMP...\n");
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (sysfs_tree_from_dump(argv[1], argv[i], &o, err, sizeof(err))) {
            fprintf(stderr, "mksysfs: %s\n", err);
            return 1;
        }
    }
    return 0;
}
