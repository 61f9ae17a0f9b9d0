/*
 * outboxd plugin ABI — the only contract between the outboxd host and its plugins.
 *
 * A plugin is a shared library that exports exactly two C symbols:
 *
 *   const outbox_manifest *outbox_plugin_manifest(void);
 *   outbox_status outbox_plugin_init(const outbox_host_api *host,
 *                                    const void **vtable_out, outbox_error *err);
 *
 * The host reads the manifest first (pure data, no side effects) and accepts the plugin only if
 * abi_major equals OUTBOX_ABI_MAJOR, abi_minor lies between OUTBOX_ABI_MINOR_OLDEST and the host's
 * OUTBOX_ABI_MINOR, the kind fits the slot it is loaded for, and the name is not taken. Only then
 * does it call init, once. A plugin that needs a newer host is refused with the version it needs.
 *
 * Which minor a plugin states: the manifest's abi_minor is the oldest minor whose declarations
 * the plugin uses, not the minor of the SDK it was built with, so that a plugin rebuilt against a
 * newer SDK still loads on an older outboxd as long as it uses nothing new. The C++ SDK works this
 * out itself; a plugin written in C states it with OUTBOX_ABI_TARGET_MINOR (below).
 *
 * Growth rules (how the ABI grows within the 1.x line without breaking a plugin or a host):
 *  - every struct begins with `uint32_t struct_size`, set by whoever fills it in to the sizeof of
 *    the layout it was built with, and only ever grows at the end;
 *  - an array of structs is passed as a pointer and a count; its elements share one layout, so the
 *    first element's struct_size is the stride for all of them. A reader steps through an array by
 *    that stride, never by its own sizeof: a newer, larger element is read as its known prefix, and
 *    an older, smaller element as if every member it lacks were zero (outbox/sdk.hpp does both);
 *  - a struct the caller hands over to be filled (outbox_storage_stats, outbox_transport_info) has
 *    its struct_size set by the caller to the size of its buffer; the callee writes no more than
 *    that and leaves in struct_size how much it filled;
 *  - outbox_str and the plain arrays (uint64_t handles, outbox_str ids, outbox_status statuses) are
 *    frozen for the 1.x line;
 *  - a function added in a later minor version may be NULL and the caller must check;
 *  - a member appended in a later minor version says so in its comment. A plugin that merely
 *    fills such members of an out-parameter needs no newer host (an older host's smaller
 *    struct_size keeps them from being written), so it may still state the older minor.
 *
 * Strings and byte buffers cross as borrowed (ptr, len) views: valid for the duration of the call
 * that passes them, unless a comment says otherwise; whoever allocates frees. Every pointer
 * carries an OWNERSHIP note; array and out-parameters of a function are the caller's, valid for
 * that call. No exception and no longjmp may cross this boundary.
 *
 * Depends on <stdint.h> and <stddef.h> only.
 */
#ifndef OUTBOX_PLUGIN_ABI_H
#define OUTBOX_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OUTBOX_ABI_MAJOR 1
#define OUTBOX_ABI_MINOR 6
/* The oldest minor a host of this version loads. ABI 1.0 was never released: its headers and
 * failures had no struct_size, so a 1.0 plugin's arrays cannot be read by the rules above. */
#define OUTBOX_ABI_MINOR_OLDEST 1

/* The minor a plugin written in C states in its manifest: define it before including this header
 * to build a plugin that also loads on hosts back to that minor (and use nothing newer). The C++
 * SDK ignores it and states the oldest minor that has everything the plugin class uses. */
#ifndef OUTBOX_ABI_TARGET_MINOR
#define OUTBOX_ABI_TARGET_MINOR OUTBOX_ABI_MINOR
#endif

#if defined(__GNUC__)
#define OUTBOX_EXPORT __attribute__((visibility("default")))
#else
#define OUTBOX_EXPORT
#endif

/* ---------------------------------------------------------------------------------------------
 * Basic types
 * ------------------------------------------------------------------------------------------- */

/* Result of every call that can fail. Fixed-width so that its size never depends on a compiler. */
typedef int32_t outbox_status;
enum {
  OUTBOX_OK = 0,
  OUTBOX_RETRYABLE = 1,     /* transient: try again later (broker down, timeout, lock) */
  OUTBOX_PERMANENT = 2,     /* will never succeed for this input (message too large, ...) */
  OUTBOX_INVALID_CONFIG = 3 /* the configuration given to the plugin is unusable */
};

/* A borrowed view of bytes; not NUL-terminated. `ptr` may be NULL only when `len` is 0.
 * OWNERSHIP: borrowed from the caller, valid until the call that passed it returns. */
typedef struct outbox_str {
  const char* ptr;
  size_t len;
} outbox_str;

/* Opaque error sink owned by the host. A plugin writes into it only through host->set_error.
 * OWNERSHIP: host-owned; valid during the call it is passed to. */
typedef struct outbox_error outbox_error;

typedef int32_t outbox_plugin_kind;
enum { OUTBOX_KIND_STORAGE = 1, OUTBOX_KIND_TRANSPORT = 2 };

typedef int32_t outbox_log_level;
enum {
  OUTBOX_LOG_TRACE = 0,
  OUTBOX_LOG_DEBUG = 1,
  OUTBOX_LOG_INFO = 2,
  OUTBOX_LOG_WARN = 3,
  OUTBOX_LOG_ERROR = 4
};

/* ---------------------------------------------------------------------------------------------
 * Manifest: what the plugin is and which configuration it takes
 * ------------------------------------------------------------------------------------------- */

typedef int32_t outbox_field_type;
enum {
  OUTBOX_FIELD_STRING = 1,
  OUTBOX_FIELD_INTEGER = 2, /* int64 */
  OUTBOX_FIELD_NUMBER = 3,  /* double */
  OUTBOX_FIELD_BOOL = 4,
  OUTBOX_FIELD_DURATION = 5, /* "500ms", "30s", "5m", "1h"; handed to the plugin in ms */
  OUTBOX_FIELD_BYTES = 6,    /* "512", "64KiB", "1MB"; handed to the plugin in bytes */
  OUTBOX_FIELD_ENUM = 7,     /* one of enum_values */
  OUTBOX_FIELD_STRING_LIST = 8,
  OUTBOX_FIELD_STRING_MAP = 9 /* string keys to scalar values, passed through as text */
};

enum {
  OUTBOX_FIELD_REQUIRED = 1u << 0,
  OUTBOX_FIELD_SECRET = 1u << 1, /* never logged or printed by the host */
  OUTBOX_FIELD_HAS_MIN = 1u << 2,
  OUTBOX_FIELD_HAS_MAX = 1u << 3,
  /* A string naming a file the plugin opens or creates. The host resolves a relative one against
   * the config file's folder and makes sure that its folder exists (`check` reports a missing
   * one, commands that open the plugin create it). A host that predates the bit ignores it. */
  OUTBOX_FIELD_PATH = 1u << 4
};

/* One configuration key of a plugin's block.
 * OWNERSHIP: every pointer is plugin-owned static data, valid while the library is loaded. */
typedef struct outbox_config_field {
  uint32_t struct_size;
  outbox_field_type type;
  uint32_t flags;                 /* OUTBOX_FIELD_* bits */
  const char* name;               /* OWNERSHIP: plugin static. NUL-terminated key, e.g. "path" */
  const char* description;        /* OWNERSHIP: plugin static. One sentence; may be NULL */
  const char* default_value;      /* OWNERSHIP: plugin static. YAML scalar text, or NULL */
  const char* const* enum_values; /* OWNERSHIP: plugin static. NULL-terminated, for ENUM */
  double min;                     /* with HAS_MIN; durations in ms, byte sizes in bytes */
  double max;                     /* with HAS_MAX; same units as min */
} outbox_config_field;

/* OWNERSHIP: the manifest and everything it points to are plugin-owned static data, valid while
 * the library is loaded. outbox_plugin_manifest() must be pure: no allocation, I/O or locking. */
typedef struct outbox_manifest {
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  outbox_plugin_kind kind;
  const char* name;        /* OWNERSHIP: plugin static. `type: NAME` in the config; [a-z0-9_]+ */
  const char* version;     /* OWNERSHIP: plugin static. Plugin version, e.g. "1.2.0" */
  const char* description; /* OWNERSHIP: plugin static. One line */
  /* OWNERSHIP: plugin static. field_count elements, fields[0].struct_size bytes apart */
  const outbox_config_field* fields;
  size_t field_count;
} outbox_manifest;

/* ---------------------------------------------------------------------------------------------
 * Validated configuration, as the host hands it to the plugin
 * ------------------------------------------------------------------------------------------- */

/* One validated value, defaults filled. Optional keys without a default are absent.
 * OWNERSHIP: host-owned, borrowed; valid until the check/open call it is passed to returns. */
typedef struct outbox_config_value {
  uint32_t struct_size;
  outbox_field_type type;
  outbox_str key;  /* field name, or map key; empty for list items */
  outbox_str text; /* string/enum/secret text; the YAML text of every other scalar */
  int64_t integer; /* INTEGER; BOOL as 0/1; DURATION in ms; BYTES in bytes */
  double number;   /* NUMBER, and INTEGER as a double */
  /* OWNERSHIP: host-owned, valid for the call. STRING_LIST items / STRING_MAP entries, or NULL */
  const struct outbox_config_value* items;
  size_t item_count;
} outbox_config_value;

typedef struct outbox_config {
  uint32_t struct_size;
  outbox_str instance;               /* the instance name: transports[].name, or "storage" */
  const outbox_config_value* values; /* OWNERSHIP: host-owned, valid for the call */
  size_t value_count;
} outbox_config;

/* ---------------------------------------------------------------------------------------------
 * Host API: what the host offers every plugin
 * ------------------------------------------------------------------------------------------- */

/* OWNERSHIP: host-owned; the table and its ctx stay valid until the library is unloaded, which
 * happens only after every object of the plugin has been closed. Every function is thread-safe. */
typedef struct outbox_host_api {
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  void* ctx; /* OWNERSHIP: host-owned; pass back as the first argument below */
  /* Writes one log line attributed to this plugin. Never pass secrets. */
  void (*log)(void* ctx, outbox_log_level level, outbox_str message);
  /* Records the reason of a failed call. `key` names the config key at fault (dotted path within
   * the plugin's block) or is empty. The host copies both strings. */
  void (*set_error)(outbox_error* err, outbox_str key, outbox_str message);
} outbox_host_api;

/* ---------------------------------------------------------------------------------------------
 * Events
 * ------------------------------------------------------------------------------------------- */

typedef struct outbox_header {
  uint32_t struct_size;
  outbox_str name;
  outbox_str value;
} outbox_header;

/* An outbox event. OWNERSHIP: every view is owned by whoever passes the event, valid for the
 * call only (a storage plugin's claim callback, the host's publish call). Copy what you keep. */
typedef struct outbox_event {
  uint32_t struct_size;
  uint64_t handle; /* storage-assigned row handle, used to settle the claimed row */
  outbox_str id;   /* UUID text (v7 preferred), 36 characters */
  outbox_str event_type;
  outbox_str partition_key;     /* empty: none */
  outbox_str content_type;      /* empty means application/json */
  outbox_str payload;           /* opaque bytes */
  const outbox_header* headers; /* OWNERSHIP: as above; header_count elements */
  size_t header_count;
  outbox_str idempotency_token; /* empty: none */
  int64_t created_at_ms;        /* Unix epoch milliseconds, database clock */
  uint32_t attempts;            /* failed publish attempts so far */
  outbox_str last_error;        /* empty: none */
  /* Since ABI 1.3; an older side's smaller struct reads as empty. The event's place in the outbox
   * order (docs/ordering.md): lowercase hexadecimal of one fixed width per storage, so that the
   * positions of one outbox compare as byte strings and grow along its order. Set by claims;
   * empty: the storage does not tell. Transports send it as the `position` header. */
  outbox_str position;
} outbox_event;

/* ---------------------------------------------------------------------------------------------
 * Storage plugins (kind OUTBOX_KIND_STORAGE): outbox_plugin_init returns an
 * outbox_storage_vtable. An outbox_storage object may be used from several threads, but the
 * host never makes two calls on one object at the same time, except wait() which may run
 * concurrently with the others.
 * ------------------------------------------------------------------------------------------- */

/* OWNERSHIP: plugin-owned, from open() until close(); every `self` below is one of these. */
typedef struct outbox_storage outbox_storage;

/* Called once per claimed event, in delivery order, before claim() returns.
 * OWNERSHIP: `event` is plugin-owned, valid for this callback only; `ctx` is the caller's
 * sink_ctx, passed back untouched. */
typedef void (*outbox_event_sink)(void* ctx, const outbox_event* event);

/* A settle that records a failure: retry (not_before_ms used) or bury (ignored). */
/* OWNERSHIP: arrays of these are caller-owned, valid for the settle call. */
typedef struct outbox_failure {
  uint32_t struct_size;
  uint64_t handle;
  int64_t not_before_ms; /* Unix epoch milliseconds */
  outbox_str error;      /* OWNERSHIP: caller-owned, valid for the call */
  /* Since ABI 1.3; an older host's smaller struct reads as 0. OUTBOX_FAILURE_* bits. */
  uint32_t flags;
} outbox_failure;

enum {
  /* On bury: the dead letter holds its partition key. No later event of the key is claimed in key
   * order until the hold is lifted (docs/ordering.md; relay.on_dead_letter: block). */
  OUTBOX_FAILURE_HOLD_KEY = 1u << 0
};

typedef struct outbox_storage_stats {
  uint32_t struct_size;
  uint64_t pending;
  uint64_t in_flight;
  uint64_t dead;
  int64_t oldest_pending_age_ms; /* 0 when nothing is pending */
  int64_t oldest_dead_age_ms;    /* by the database's clock; 0 when there is no dead letter */
  /* How long the oldest open writing transaction has held claims back (a storage that claims in
   * commit order cannot claim past it); -1 when the storage has no such horizon. */
  int64_t claim_horizon_lag_ms;
  /* Since ABI 1.2; a host reading a 1.1 plugin's smaller struct sees 0 for both (nothing held).
   * Rows held by a claim and not settled, counting those whose lease ran out that no claim has
   * taken back yet (in_flight counts only live leases): */
  uint64_t held_count;
  /* how long until the first of those leases runs out, by the store's clock; 0 or less when one
   * has run out already (the next claim takes its rows back); 0 when nothing is held. */
  int64_t held_expires_in_ms;
  /* Since ABI 1.4, for relay.ordering: key (docs/ordering.md); a host reading an older plugin's
   * smaller struct sees 0 for each. Keys held back: whose first live event waits out a retry's
   * backoff, or that a dead letter holds (OUTBOX_FAILURE_HOLD_KEY): */
  uint64_t keys_held;
  /* the age of the oldest event holding one of those keys (its created_at_ms, by the store's
   * clock); 0 when no key is held. */
  int64_t oldest_held_key_age_ms;
  /* The lanes this object owns (a storage that claims through lanes, e.g. PostgreSQL), and how
   * many it took over or gave up since it was opened; 0 for a storage without lanes. */
  uint64_t lanes_owned;
  uint64_t lane_handoffs;
} outbox_storage_stats;

/* A dead letter as listed: the event (attempts and last_error filled) and when it died.
 * OWNERSHIP: plugin-owned, valid for the callback only. */
typedef struct outbox_dead_letter {
  uint32_t struct_size;
  const outbox_event* event; /* OWNERSHIP: plugin-owned, valid for the callback only */
  int64_t died_at_ms;
} outbox_dead_letter;
/* OWNERSHIP: `ctx` is the caller's sink_ctx, passed back untouched. */
typedef void (*outbox_dead_letter_sink)(void* ctx, const outbox_dead_letter* letter);

/* Since ABI 1.4: a key that dead letters hold (OUTBOX_FAILURE_HOLD_KEY), as keys_blocked lists it.
 * The first holding letter is the key's earliest in outbox order: the one a retry delivers first.
 * OWNERSHIP: plugin-owned, and every view in it, valid for the callback only. */
typedef struct outbox_blocked_key {
  uint32_t struct_size;
  outbox_str key;         /* the partition key */
  outbox_str first_id;    /* the first holding letter's event id */
  outbox_str first_error; /* its last_error; empty: none */
  int64_t since_ms;       /* when it died (its died_at_ms), Unix epoch milliseconds */
  uint64_t letters;       /* dead letters holding the key */
  uint64_t waiting;       /* live events of the key, held back behind them */
} outbox_blocked_key;
/* OWNERSHIP: `ctx` is the caller's sink_ctx, passed back untouched. */
typedef void (*outbox_blocked_key_sink)(void* ctx, const outbox_blocked_key* key);

/* What key_unblock does with a key's holding dead letters. */
typedef int32_t outbox_unblock_action;
enum {
  /* Requeue them in their old place in the outbox order, attempts reset: the key resumes with them
   * first, then its later events. */
  OUTBOX_UNBLOCK_RETRY = 1,
  /* They stay dead letters and stop holding the key: its later events go on. */
  OUTBOX_UNBLOCK_SKIP = 2
};

typedef struct outbox_storage_vtable {
  uint32_t struct_size;
  /* Validates the configuration without connecting anywhere (for `outboxd check`). */
  outbox_status (*check)(const outbox_config* config, outbox_error* err);
  /* Connects. OWNERSHIP: *out is plugin-owned until close(). */
  outbox_status (*open)(const outbox_config* config, outbox_storage** out, outbox_error* err);
  void (*close)(outbox_storage* self);
  /* Creates or upgrades the schema; idempotent. */
  outbox_status (*migrate)(outbox_storage* self, outbox_error* err);
  /* Claims up to `max` pending events whose not_before has passed, under a lease of `lease_ms`,
   * in commit order. Calls `sink` once per event, then writes the claim token into *token.
   * OWNERSHIP: *token is plugin-owned, valid until the next claim() on this object; the host
   * copies it. Zero events is OK. */
  outbox_status (*claim)(outbox_storage* self, uint32_t max, int64_t lease_ms, outbox_event_sink sink,
                         void* sink_ctx, outbox_str* token, outbox_error* err);
  /* The settles below are fenced by `token`: rows whose lease was lost are left untouched.
   * *applied receives how many of the n rows were changed. */
  /* Marks rows sent (deletes them, or archives them when the plugin retains sent rows). */
  outbox_status (*complete)(outbox_storage* self, outbox_str token, const uint64_t* handles, size_t n,
                            size_t* applied, outbox_error* err);
  /* Returns rows to pending with attempts+1, last_error and not_before. */
  outbox_status (*retry)(outbox_storage* self, outbox_str token, const outbox_failure* items, size_t n,
                         size_t* applied, outbox_error* err);
  /* Moves rows to the dead letters with attempts+1 and last_error. */
  outbox_status (*bury)(outbox_storage* self, outbox_str token, const outbox_failure* items, size_t n,
                        size_t* applied, outbox_error* err);
  /* Gives rows back at once, attempts unchanged (shutdown). */
  outbox_status (*release)(outbox_storage* self, outbox_str token, const uint64_t* handles, size_t n,
                           size_t* applied, outbox_error* err);
  /* Blocks up to timeout_ms or until new work may exist. A hint only: returning early without
   * new work is allowed. May run concurrently with the other calls. */
  outbox_status (*wait)(outbox_storage* self, int64_t timeout_ms, outbox_error* err);
  /* Interrupts a wait() in progress from another thread (shutdown, or a message completed). A
   * wake() with no wait() in progress makes the next wait() return at once: none is lost. */
  void (*wake)(outbox_storage* self);
  outbox_status (*stats)(outbox_storage* self, outbox_storage_stats* out, outbox_error* err);
  /* Deletes retained sent rows created before before_ms; *count receives how many. */
  outbox_status (*purge)(outbox_storage* self, int64_t before_ms, uint64_t* count, outbox_error* err);
  /* Lists up to `limit` dead letters, oldest first, skipping `offset`. */
  outbox_status (*dead_list)(outbox_storage* self, uint32_t limit, uint64_t offset,
                             outbox_dead_letter_sink sink, void* sink_ctx, outbox_error* err);
  /* Moves dead letters back to pending with attempts reset; n == 0 means all of them. */
  outbox_status (*dead_requeue)(outbox_storage* self, const outbox_str* ids, size_t n, uint64_t* count,
                                outbox_error* err);
  /* Deletes dead letters; n == 0 means all of them. */
  outbox_status (*dead_purge)(outbox_storage* self, const outbox_str* ids, size_t n, uint64_t* count,
                              outbox_error* err);
  /* Inserts events (handle, attempts and last_error ignored; an empty id gets a new UUID v7).
   * statuses[i] receives OUTBOX_OK or OUTBOX_PERMANENT (e.g. a duplicate idempotency token).
   * OWNERSHIP: statuses is caller-owned, n elements. */
  outbox_status (*enqueue)(outbox_storage* self, const outbox_event* events, size_t n,
                           outbox_status* statuses, outbox_error* err);
  /* Since ABI 1.3, for relay.ordering: key (docs/ordering.md); both NULL when the storage does not
   * order by key, and then the host refuses that mode. As claim(), and: an event with a partition
   * key is claimed only if every earlier live event of its key is held by this same object under
   * a live lease, or comes before it in this claim. An earlier event of the key that waits for a
   * retry or is leased by another object, or a dead letter holding the key
   * (OUTBOX_FAILURE_HOLD_KEY), keeps it back. */
  outbox_status (*claim_in_key_order)(outbox_storage* self, uint32_t max, int64_t lease_ms,
                                      outbox_event_sink sink, void* sink_ctx, outbox_str* token,
                                      outbox_error* err);
  /* Renews the lease of the claim's unsettled rows to lease_ms from now. *held receives how many
   * rows the token still holds: 0 when its lease was lost (taken over) or everything is settled. */
  outbox_status (*extend)(outbox_storage* self, outbox_str token, int64_t lease_ms, size_t* held,
                          outbox_error* err);
  /* Since ABI 1.4, for the operator of relay.ordering: key (`outboxd keys blocked`, `outboxd key
   * retry|skip`); both NULL when the storage has no dead letters holding keys, and then the host
   * says so. Lists up to `limit` keys held by dead letters, oldest first (by since_ms), skipping
   * `offset`: one call of `sink` each. */
  outbox_status (*keys_blocked)(outbox_storage* self, uint32_t limit, uint64_t offset,
                                outbox_blocked_key_sink sink, void* sink_ctx, outbox_error* err);
  /* Lifts the hold of the dead letters holding `key` as `action` says (OUTBOX_UNBLOCK_*), all or
   * none of them; *count receives how many letters it changed: 0 when none held the key. A letter
   * that cannot be requeued (a live event took its id or idempotency token) fails the call with
   * OUTBOX_PERMANENT and a reason naming it; an unknown action fails with OUTBOX_PERMANENT. */
  outbox_status (*key_unblock)(outbox_storage* self, outbox_str key, outbox_unblock_action action,
                               uint64_t* count, outbox_error* err);
  /* Since ABI 1.5; may be NULL, and then the host reads stats() instead. What `outboxd run
   * --until-idle` asks before it stops: *count receives the rows held by claims
   * (outbox_storage_stats.held_count) and *expires_in_ms how long until the first of their leases
   * runs out (held_expires_in_ms), without the rest of stats(), which may read the whole outbox. */
  outbox_status (*held)(outbox_storage* self, uint64_t* count, int64_t* expires_in_ms, outbox_error* err);
} outbox_storage_vtable;

/* ---------------------------------------------------------------------------------------------
 * Transport plugins (kind OUTBOX_KIND_TRANSPORT): outbox_plugin_init returns an
 * outbox_transport_vtable. publish() must be thread-safe: it may be called from several threads at
 * once, while completions arrive on others (the conformance kit checks both).
 * ------------------------------------------------------------------------------------------- */

/* OWNERSHIP: plugin-owned, from open() until close(); every `self` below is one of these. */
typedef struct outbox_transport outbox_transport;

/* One message to publish. OWNERSHIP: caller-owned, valid for the publish() call only. */
typedef struct outbox_message {
  uint32_t struct_size;
  uint64_t tag;              /* the host's correlation id, echoed by the completion */
  const outbox_event* event; /* OWNERSHIP: caller-owned, valid for the publish() call only */
  outbox_str destination;    /* resolved topic / subject */
  outbox_str key;            /* message key (the partition key), may be empty */
} outbox_message;

/* Completion of one message: exactly once per message, from any thread, possibly before
 * publish() returns. OWNERSHIP: `error` is plugin-owned, valid for the callback only; `ctx` is
 * the host's, given to publish() and passed back untouched; it stays valid until close(). */
typedef void (*outbox_completion_fn)(void* ctx, uint64_t tag, outbox_status status, outbox_str error);

typedef struct outbox_transport_info {
  uint32_t struct_size;
  int64_t delivery_timeout_ms; /* the longest a message may stay unacknowledged; 0: no bound */
  /* Since ABI 1.6; a host reading an older plugin's smaller struct sees 0. OUTBOX_TRANSPORT_*
   * below. */
  uint32_t flags;
} outbox_transport_info;

/* outbox_transport_info.flags: of the messages that one publish() call hands over, those of one
 * partition key and one destination are delivered in the order given, and once one of them
 * completes with a status other than OK, none of those after it has been delivered and each of
 * them completes with a status other than OK too. With relay.ordering: key the host may then hand
 * over every waiting event of a key in one call, instead of one event of a key at a time
 * (docs/ordering.md). */
#define OUTBOX_TRANSPORT_KEEPS_KEY_ORDER 1u

typedef struct outbox_transport_vtable {
  uint32_t struct_size;
  /* Validates the configuration without connecting anywhere, and reports the delivery timeout
   * it implies (for `outboxd check`: it must be shorter than the lease). */
  outbox_status (*check)(const outbox_config* config, outbox_transport_info* info, outbox_error* err);
  /* OWNERSHIP: *out is plugin-owned until close(). */
  outbox_status (*open)(const outbox_config* config, outbox_transport** out, outbox_error* err);
  /* Completes every message still in flight (RETRYABLE if undelivered), then frees. */
  void (*close)(outbox_transport* self);
  /* Non-blocking hand-over of n messages. Each completes through on_complete exactly once. */
  void (*publish)(outbox_transport* self, const outbox_message* messages, size_t n,
                  outbox_completion_fn on_complete, void* ctx);
  /* Waits up to timeout_ms for every message in flight to complete; RETRYABLE when some remain. */
  outbox_status (*flush)(outbox_transport* self, int64_t timeout_ms, outbox_error* err);
  /* OK when the broker is reachable; RETRYABLE with a reason when it is not. */
  outbox_status (*health)(outbox_transport* self, outbox_error* err);
} outbox_transport_vtable;

/* ---------------------------------------------------------------------------------------------
 * The two exported entry points
 * ------------------------------------------------------------------------------------------- */

typedef const outbox_manifest* (*outbox_plugin_manifest_fn)(void);
/* OWNERSHIP: `host` stays valid while the library is loaded; *vtable_out is plugin-owned static
 * data, valid while the library is loaded. Called once, after the handshake. */
typedef outbox_status (*outbox_plugin_init_fn)(const outbox_host_api* host, const void** vtable_out,
                                               outbox_error* err);

#define OUTBOX_PLUGIN_MANIFEST_SYMBOL "outbox_plugin_manifest"
#define OUTBOX_PLUGIN_INIT_SYMBOL "outbox_plugin_init"

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* OUTBOX_PLUGIN_ABI_H */
