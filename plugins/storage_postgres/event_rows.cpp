#include "event_rows.hpp"

#include <algorithm>
#include <numeric>
#include <outbox/abi_layout.hpp>

namespace outbox::plugins::postgres {
namespace {
outbox_str str(std::string_view s) { return {s.data(), s.size()}; }
}  // namespace

EventRows::EventRows(BinaryResult result, Extra extra) : result_(std::move(result)) {
  const BinaryRows rows(result_.get());
  const size_t n = rows.size();
  const bool with_lanes = extra == Extra::xid_and_lane;
  if (with_lanes) extra = Extra::xid;
  events_.resize(n);
  extra_.resize(n);
  if (with_lanes) lanes_.resize(n);
  ids_.resize(n);
  if (extra == Extra::xid) positions_.resize(n);
  // Headers stay in the result's JSON text, unless they must be decoded (escapes): then in
  // decoded_headers_. Each event's count waits in its header_count until the views stop moving.
  HeaderViews headers;
  for (size_t i = 0; i < n; ++i) {
    const size_t before = headers.size();
    const std::string_view json = rows.jsonb(i, 6);
    if (!scan_headers(json, headers))
      for (const auto& [name, value] : decoded_headers_.emplace_back(decode_headers(json)))
        headers.emplace_back(name, value);
    events_[i].header_count = headers.size() - before;
  }
  header_views_.reserve(headers.size());
  for (const auto& [name, value] : headers) header_views_.push_back(sdk::make_header(str(name), str(value)));
  const outbox_header* next_header = header_views_.data();
  for (size_t i = 0; i < n; ++i) {
    rows.uuid(i, 1, ids_[i].data());
    outbox_event& e = events_[i];
    e.struct_size = sizeof(outbox_event);
    e.handle = static_cast<uint64_t>(rows.int64(i, 0));
    e.id = {ids_[i].data(), ids_[i].size()};
    e.event_type = str(rows.bytes(i, 2));
    e.partition_key = str(rows.bytes(i, 3));  // NULL reads as empty
    e.content_type = str(rows.bytes(i, 4));
    e.payload = str(rows.bytes(i, 5));
    e.headers = next_header;
    next_header += e.header_count;
    e.idempotency_token = str(rows.bytes(i, 7));
    e.created_at_ms = rows.time_ms(i, 8);
    e.attempts = static_cast<uint32_t>(rows.int32(i, 9));
    e.last_error = str(rows.bytes(i, 10));
    extra_[i] = extra == Extra::xid ? rows.int64(i, 11) : rows.time_ms(i, 11);
    if (with_lanes) lanes_[i] = static_cast<uint32_t>(rows.int32(i, 12));
    if (extra == Extra::xid) {
      using Part = std::span<char, sdk::kPositionPartLength>;
      char* at = positions_[i].data();
      sdk::format_position_part(static_cast<uint64_t>(extra_[i]), Part(at, sdk::kPositionPartLength));
      sdk::format_position_part(e.handle, Part(at + sdk::kPositionPartLength, sdk::kPositionPartLength));
      e.position = {at, positions_[i].size()};
    }
  }
}

void EventRows::keep_first(size_t n) {
  if (n >= events_.size()) return;
  events_.resize(n);
  extra_.resize(n);
  if (!lanes_.empty()) lanes_.resize(n);
}

void EventRows::sort_by_xid() {
  auto before = [&](size_t a, size_t b) {
    return extra_[a] != extra_[b] ? extra_[a] < extra_[b] : events_[a].handle < events_[b].handle;
  };
  bool sorted = true;
  for (size_t i = 1; i < events_.size() && sorted; ++i) sorted = !before(i, i - 1);
  if (sorted) return;
  std::vector<size_t> order(events_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), before);
  std::vector<outbox_event> events;
  std::vector<int64_t> extra;
  std::vector<uint32_t> lanes;
  events.reserve(order.size());
  extra.reserve(order.size());
  for (size_t i : order) {
    events.push_back(events_[i]);
    extra.push_back(extra_[i]);
    if (!lanes_.empty()) lanes.push_back(lanes_[i]);
  }
  events_ = std::move(events);
  extra_ = std::move(extra);
  lanes_ = std::move(lanes);
}

}  // namespace outbox::plugins::postgres
