/* The health service, tender.health.v1 (health_service.c): Check answers
 * the server's serving status, Watch streams its changes. */
#ifndef TND_SERVER_HEALTH_H
#define TND_SERVER_HEALTH_H

#include "transport/server.h"

/** Register Health/Check and Health/Watch. */
int tnd_health_register(tnd_server *srv);

/** Set the serving status (a tender.health.v1 ServingStatus) and tell
 * every watcher. */
void tnd_health_set_serving(tnd_server *srv, int status);

#endif
