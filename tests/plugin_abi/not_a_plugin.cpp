// A shared library that is not an outboxd plugin: it exports a function, but no manifest.
#include <outbox/plugin_abi.h>

extern "C" OUTBOX_EXPORT int outbox_fixture_not_a_plugin(void) { return 42; }
