// `outboxd enqueue --file` reads whatever file it is given: any bytes either become events or
// bad-line reports, and nothing crashes, hangs or leaks. Every event it keeps has a UUID id and an
// event type, as the storage expects.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "core/cli/event_lines.hpp"
#include "core/engine/uuid.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  std::ostringstream errors;
  outbox::core::ParsedFile parsed = outbox::core::parse_events(in, "fuzz.jsonl", errors);
  size_t events = 0;
  for (auto& batch : parsed.batches) {
    batch->seal();
    for (const outbox_event& e : batch->events()) {
      if (!outbox::core::is_uuid_text(std::string_view(e.id.ptr, e.id.len)) || e.event_type.len == 0)
        std::abort();
      ++events;
    }
  }
  if (events != parsed.line_of.size() || (parsed.bad_lines > 0) != !errors.str().empty()) std::abort();
  return 0;
}
