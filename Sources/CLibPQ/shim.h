#ifndef CHITIEU_CLIBPQ_SHIM_H
#define CHITIEU_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#include <poll.h>
#endif
