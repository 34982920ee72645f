/*
 * abandon.c - awdb_abandon (awdb_fault.h): a database left as a killed
 * process leaves it, with no final checkpoint. Part of the awdb_fault test
 * library, not of the engine users link.
 */
#include "backends/awdb/awdb_fault.h"

#include "backends/awdb/awdb_int.h"

int awdb_abandon(awdb *db)
{
    return awdb_shutdown(db, false);
}
