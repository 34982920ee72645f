/* rundir.c - a run's fresh data directory (see rundir.h). */
#include "sweep/rundir.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/text.h"

int kvb_rundir_make(const struct kvb_config *cfg, const char *tag, char *out, char *err,
                    size_t errlen)
{
    char base[PATH_MAX], safe[128];
    if (cfg->data_dir[0]) {
        snprintf(base, sizeof(base), "%s", cfg->data_dir);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(base, sizeof(base), "%s/kvbench", tmp && *tmp ? tmp : "/tmp");
    }
    if (kvb_mkdir_p(base, err, errlen) != 0)
        return -1;
    kvb_safe_name(safe, sizeof(safe), tag);
    if (snprintf(out, PATH_MAX, "%s/%s-XXXXXX", base, safe) >= PATH_MAX) {
        snprintf(err, errlen, "data directory path too long under %s", base);
        return -1;
    }
    if (!mkdtemp(out)) {
        snprintf(err, errlen, "mkdtemp %s: %s", out, strerror(errno));
        return -1;
    }
    return 0;
}
