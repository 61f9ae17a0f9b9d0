// The events of one claim (or dead-letter listing), read from a binary result and lent to the
// host straight out of it: payloads, texts and headers stay in libpq's result; only ids
// (uuid -> text) and headers that need decoding (JSON escapes) are made here.
// Thread-safety: a plain value; moving it keeps every view valid.
#pragma once

#include <outbox/plugin_abi.h>

#include <array>
#include <cstdint>
#include <deque>
#include <outbox/event_text.hpp>
#include <vector>

#include "binary_result.hpp"
#include "headers_json.hpp"

namespace outbox::plugins::postgres {

class EventRows {
 public:
  // What column 11 of the statement holds (queries.hpp): the row's xid, or a time; with
  // xid_and_lane, column 12 holds the row's lane (claims in key order).
  enum class Extra { xid, time_ms, xid_and_lane };

  EventRows() = default;
  // Reads the event columns 0..10 of queries.hpp and column 11; with Extra::xid each event's
  // position is its (xid, seq). Throws sdk::Error(PERMANENT)
  // on a column that is not of the expected type.
  EventRows(BinaryResult result, Extra extra);

  size_t size() const noexcept { return events_.size(); }
  bool empty() const noexcept { return events_.empty(); }
  uint64_t handle(size_t i) const noexcept { return events_[i].handle; }
  int64_t extra(size_t i) const noexcept { return extra_[i]; }
  size_t lane(size_t i) const noexcept { return lanes_[i]; }  // with Extra::xid_and_lane
  // OWNERSHIP: points into this object; valid while it lives.
  const outbox_event& event(size_t i) const noexcept { return events_[i]; }

  void keep_first(size_t n);
  // Into (xid, seq) order, for statements that give rows in no particular order.
  void sort_by_xid();

 private:
  BinaryResult result_;
  std::vector<outbox_event> events_;
  std::vector<int64_t> extra_;
  std::vector<uint32_t> lanes_;
  std::vector<std::array<char, 36>> ids_;
  std::vector<std::array<char, 2 * sdk::kPositionPartLength>> positions_;  // xid, seq (with Extra::xid)
  std::deque<Headers> decoded_headers_;  // a deque: its elements stay put as it grows or moves
  std::vector<outbox_header> header_views_;
};

}  // namespace outbox::plugins::postgres
