// outbox/abi_layout.hpp — the growth rules of plugin_abi.h, applied: reading structs and arrays
// that the other side may have built with an older or a newer layout.
//
// Both sides use it: the SDK's thunks on what the host passes a plugin, the host on what a plugin
// passes back. Each reader presents data in this build's own layout, so code above it uses plain
// C++ (spans, member access) and never sees a stride. When both sides were built with the same
// layout, which is the rule rather than the exception, nothing is copied.
//
// Not thread-safe: one EventLayouts per call (or per thread).
#pragma once

#include <outbox/plugin_abi.h>

#include <cstddef>
#include <cstring>
#include <list>
#include <span>
#include <vector>

namespace outbox::sdk {

// The structs this build fills in for the other side, with their struct_size set.
constexpr outbox_header make_header(outbox_str name, outbox_str value) noexcept {
  return {sizeof(outbox_header), name, value};
}
constexpr outbox_failure make_failure(uint64_t handle, int64_t not_before_ms, outbox_str error,
                                      uint32_t flags = 0) noexcept {
  return {sizeof(outbox_failure), handle, not_before_ms, error, flags};
}

// Element i of an ABI array: `first` points at its first element, whose struct_size is the
// stride of all of them.
template <class T>
const T& element_at(const T* first, size_t i) noexcept {
  return *reinterpret_cast<const T*>(reinterpret_cast<const std::byte*>(first) + i * first->struct_size);
}

// True when the n elements at `first` are laid out as this build's T (no elements: trivially).
template <class T>
bool has_own_layout(const T* first, size_t n) noexcept {
  return n == 0 || first->struct_size == sizeof(T);
}

// A copy of `element` in this build's layout: a newer, larger element is cut to the members this
// build knows; an older, smaller one reads as zero for each member it lacks.
template <class T>
T in_own_layout(const T& element) noexcept {
  T out{};
  std::memcpy(&out, &element, element.struct_size < sizeof(T) ? element.struct_size : sizeof(T));
  out.struct_size = sizeof(T);
  return out;
}

// Fills an out-parameter struct that the caller sized: at most out->struct_size bytes are written
// (an older caller has a smaller struct), and struct_size then says how many were filled.
template <class T>
void write_out(T* out, T value) noexcept {
  const size_t room = out->struct_size < sizeof(T) ? out->struct_size : sizeof(T);
  value.struct_size = static_cast<uint32_t>(room);
  std::memcpy(out, &value, room);
}

// An array of n elements in this build's layout: the array itself when it has that layout, else
// a copy made in `copy`, which must outlive the returned span.
template <class T>
std::span<const T> own_layout_array(const T* first, size_t n, std::vector<T>& copy) {
  if (has_own_layout(first, n)) return {first, n};
  copy.clear();
  copy.reserve(n);
  for (size_t i = 0; i < n; ++i) copy.push_back(in_own_layout(element_at(first, i)));
  return copy;
}

// Events, and the messages that point at events, in this build's layout (the event, its header
// array and the message array can each differ). Copies only structs, never the bytes they view.
class EventLayouts {
 public:
  bool has_own_layout(const outbox_event& e) const noexcept {
    return e.struct_size == sizeof(outbox_event) && sdk::has_own_layout(e.headers, e.header_count);
  }

  // Valid until this object is destroyed or cleared.
  const outbox_event& event(const outbox_event& e) {
    if (has_own_layout(e)) return e;
    outbox_event& copy = events_.emplace_back(in_own_layout(e));
    std::vector<outbox_header>& headers = headers_.emplace_back();
    copy.headers = own_layout_array(e.headers, e.header_count, headers).data();
    return copy;
  }

  std::span<const outbox_event> events(const outbox_event* first, size_t n) {
    bool own = sdk::has_own_layout(first, n);
    for (size_t i = 0; own && i < n; ++i) own = has_own_layout(first[i]);
    if (own) return {first, n};
    event_array_.clear();
    event_array_.reserve(n);
    for (size_t i = 0; i < n; ++i) event_array_.push_back(event(element_at(first, i)));
    return event_array_;
  }

  std::span<const outbox_message> messages(const outbox_message* first, size_t n) {
    bool own = sdk::has_own_layout(first, n);
    for (size_t i = 0; own && i < n; ++i) own = has_own_layout(*first[i].event);
    if (own) return {first, n};
    messages_.clear();
    messages_.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      outbox_message m = in_own_layout(element_at(first, i));
      m.event = &event(*m.event);
      messages_.push_back(m);
    }
    return messages_;
  }

  void clear() noexcept {
    events_.clear();
    headers_.clear();
  }

 private:
  // Lists: each copy keeps its address as more are added, and an empty list allocates nothing
  // (a deque allocates on construction, and one of these is made per publish and per claim).
  std::list<outbox_event> events_;
  std::list<std::vector<outbox_header>> headers_;
  std::vector<outbox_event> event_array_;
  std::vector<outbox_message> messages_;
};

}  // namespace outbox::sdk
