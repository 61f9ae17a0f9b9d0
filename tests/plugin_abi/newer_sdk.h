/* Makes the SDK in this build look one ABI minor newer than the host (force-included before any
 * other header), as an SDK of the next release would be: a plugin built with it that uses nothing
 * new must still state the oldest minor it needs and load on this outboxd. */
#include <outbox/plugin_abi.h>
#if OUTBOX_ABI_MINOR != 6
#error "newer_sdk.h must say one minor more than plugin_abi.h: update it"
#endif
#undef OUTBOX_ABI_MINOR
#define OUTBOX_ABI_MINOR 7
