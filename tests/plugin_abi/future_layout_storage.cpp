// A storage plugin built against a later, larger layout of every struct (future_layout.hpp), as a
// plugin of a future ABI minor that uses nothing else new would be. Written on the C ABI directly,
// since the SDK's thunks know only this build's layouts.
//
// It hands the host larger elements (claimed events and their headers, dead letters, blocked keys), so the
// host must step over them by their struct_size; and it reads the host's smaller elements (failures, enqueued
// events and their headers) in its own larger layout, where each member the host's layout lacks must read as
// zero. What it read comes back as counts and statuses that the test (tests/unit/abi_layout_test.cpp) checks.
//
// Built a second time with FIXTURE_WITHOUT_HELD=1: its vtable then ends before `held`, as one of a
// plugin built against ABI 1.4 does, and the host must read what is held from stats() instead.
#include <outbox/plugin_abi.h>

#include <cstddef>
#include <outbox/abi_layout.hpp>
#include <string_view>

#ifndef FIXTURE_WITHOUT_HELD
#define FIXTURE_WITHOUT_HELD 0
#endif

#include "future_layout.hpp"

namespace {

using namespace outbox;
using outbox::sdk::element_at;
using outbox::sdk::in_own_layout;

constexpr outbox_str text(std::string_view s) { return outbox_str{s.data(), s.size()}; }
constexpr std::string_view sv(outbox_str s) {
  return s.len ? std::string_view{s.ptr, s.len} : std::string_view{};
}

const future::Header kHeaders[] = {
    {sizeof(future::Header), text("h0"), text("v0"), future::kAdded},
    {sizeof(future::Header), text("h1"), text("v1"), future::kAdded},
};

future::Event event(uint64_t handle, std::string_view id) {
  return {sizeof(future::Event),
          handle,
          text(id),
          text("order.created"),
          text("k1"),
          text("text/plain"),
          text("payload"),
          kHeaders,
          2,
          {},
          1'700'000'000'123,
          0,
          {},
          text("00000000000000a1"),
          future::kAdded};
}

const future::Event kEvents[] = {event(1, "0190a5b6-7c8d-7e9f-8a0b-000000000001"),
                                 event(2, "0190a5b6-7c8d-7e9f-8a0b-000000000002")};

// A failure as this plugin reads the host's: every member the host's layout lacks is zero.
size_t failures_read_right(const outbox_failure* items, size_t n) {
  size_t right = 0;
  for (size_t i = 0; i < n; ++i) {
    const auto f = in_own_layout(element_at(reinterpret_cast<const future::Failure*>(items), i));
    right += f.added == 0 && f.handle == i + 1 && sv(f.error) == "boom";
  }
  return right;
}

outbox_status event_read_right(const future::Event& e) {
  if (e.added != 0 || e.header_count != 2 || sv(e.id).size() != 36) return OUTBOX_PERMANENT;
  for (size_t i = 0; i < e.header_count; ++i) {
    const future::Header h = in_own_layout(element_at(e.headers, i));
    if (h.added != 0 || sv(h.name) != (i == 0 ? "h0" : "h1")) return OUTBOX_PERMANENT;
  }
  return OUTBOX_OK;
}

int storage_object;  // the one object this plugin opens; it keeps no state

outbox_status check(const outbox_config*, outbox_error*) { return OUTBOX_OK; }
outbox_status open(const outbox_config*, outbox_storage** out, outbox_error*) {
  *out = reinterpret_cast<outbox_storage*>(&storage_object);
  return OUTBOX_OK;
}
void close(outbox_storage*) {}
outbox_status migrate(outbox_storage*, outbox_error*) { return OUTBOX_OK; }
outbox_status claim(outbox_storage*, uint32_t, int64_t, outbox_event_sink sink, void* ctx, outbox_str* token,
                    outbox_error*) {
  for (const future::Event& e : kEvents) sink(ctx, reinterpret_cast<const outbox_event*>(&e));
  *token = text("token-1");
  return OUTBOX_OK;
}
outbox_status settle_handles(outbox_storage*, outbox_str, const uint64_t*, size_t n, size_t* applied,
                             outbox_error*) {
  *applied = n;
  return OUTBOX_OK;
}
outbox_status settle_failures(outbox_storage*, outbox_str, const outbox_failure* items, size_t n,
                              size_t* applied, outbox_error*) {
  *applied = failures_read_right(items, n);
  return OUTBOX_OK;
}
outbox_status wait(outbox_storage*, int64_t, outbox_error*) { return OUTBOX_OK; }
void wake(outbox_storage*) {}
// What is held, told apart by where the host read it: 5 rows for 2.5 s in stats(), 3 for 1.5 s in held().
outbox_status stats(outbox_storage*, outbox_storage_stats* out, outbox_error*) {
  if (out->struct_size >= offsetof(outbox_storage_stats, held_expires_in_ms) + sizeof(int64_t)) {
    out->held_count = 5;
    out->held_expires_in_ms = 2500;
  }
  return OUTBOX_OK;
}
outbox_status held(outbox_storage*, uint64_t* count, int64_t* expires_in_ms, outbox_error*) {
  *count = 3;
  *expires_in_ms = 1500;
  return OUTBOX_OK;
}
outbox_status purge(outbox_storage*, int64_t, uint64_t* count, outbox_error*) {
  *count = 0;
  return OUTBOX_OK;
}
outbox_status dead_list(outbox_storage*, uint32_t, uint64_t, outbox_dead_letter_sink sink, void* ctx,
                        outbox_error*) {
  const future::DeadLetter letter{sizeof(future::DeadLetter), &kEvents[1], 1'700'000'000'999, future::kAdded};
  sink(ctx, reinterpret_cast<const outbox_dead_letter*>(&letter));
  return OUTBOX_OK;
}
outbox_status dead_change(outbox_storage*, const outbox_str*, size_t n, uint64_t* count, outbox_error*) {
  *count = n;
  return OUTBOX_OK;
}
outbox_status keys_blocked(outbox_storage*, uint32_t, uint64_t, outbox_blocked_key_sink sink, void* ctx,
                           outbox_error*) {
  const future::BlockedKey key{sizeof(future::BlockedKey),
                               text("k1"),
                               kEvents[1].id,
                               text("poison"),
                               1'700'000'000'999,
                               1,
                               3,
                               future::kAdded};
  sink(ctx, reinterpret_cast<const outbox_blocked_key*>(&key));
  return OUTBOX_OK;
}
outbox_status key_unblock(outbox_storage*, outbox_str key, outbox_unblock_action action, uint64_t* count,
                          outbox_error*) {
  *count = sv(key) == "k1" && action == OUTBOX_UNBLOCK_SKIP ? 1 : 0;
  return OUTBOX_OK;
}
outbox_status enqueue(outbox_storage*, const outbox_event* events, size_t n, outbox_status* statuses,
                      outbox_error*) {
  const auto* first = reinterpret_cast<const future::Event*>(events);
  for (size_t i = 0; i < n; ++i) statuses[i] = event_read_right(in_own_layout(element_at(first, i)));
  return OUTBOX_OK;
}

constexpr outbox_storage_vtable kVtable{
    FIXTURE_WITHOUT_HELD ? offsetof(outbox_storage_vtable, held) : sizeof(outbox_storage_vtable),
    check,
    open,
    close,
    migrate,
    claim,
    settle_handles,
    settle_failures,
    settle_failures,
    settle_handles,
    wait,
    wake,
    stats,
    purge,
    dead_list,
    dead_change,
    dead_change,
    enqueue,
    nullptr,  // claim_in_key_order: not ordering by key
    nullptr,  // extend
    keys_blocked,
    key_unblock,
    held};

constexpr outbox_manifest kManifest{sizeof(outbox_manifest),
                                    OUTBOX_ABI_MAJOR,
                                    OUTBOX_ABI_MINOR,
                                    OUTBOX_KIND_STORAGE,
                                    "future_layout",
                                    "1.0.0",
                                    "Storage fixture built against larger struct layouts",
                                    nullptr,
                                    0};

}  // namespace

extern "C" OUTBOX_EXPORT const outbox_manifest* outbox_plugin_manifest(void) { return &kManifest; }

extern "C" OUTBOX_EXPORT outbox_status outbox_plugin_init(const outbox_host_api*, const void** vtable_out,
                                                          outbox_error*) {
  *vtable_out = &kVtable;
  return OUTBOX_OK;
}
