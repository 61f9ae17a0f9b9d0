// jemalloc's settings for outboxd, read by jemalloc at start-up (MALLOC_CONF still overrides them).
// A background thread returns freed pages to the kernel: without it the relay's own threads do, and
// a 1M drain to Kafka in key order spent 1.40-1.50 s of system time against 0.87 s with it.
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's.
extern const char* malloc_conf;
const char* malloc_conf = "background_thread:true";
}
