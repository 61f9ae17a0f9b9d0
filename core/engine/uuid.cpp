#include "core/engine/uuid.hpp"

// The one implementation lives in the SDK's header-only outbox/uuid_v7.hpp, so that
// the ids the CLI makes and the ids producers make come from the same code. Header-only: outboxd
// gains no library by it (it links no driver; tests/linkage checks that).
#include <outbox/uuid_v7.hpp>

namespace outbox::core {

Uuid uuid_v7(int64_t unix_ms) { return Uuid{outbox::uuid_v7(unix_ms).text}; }

Uuid uuid_v7() { return Uuid{outbox::uuid_v7().text}; }

bool is_uuid_text(std::string_view text) noexcept { return outbox::is_uuid_text(text); }

}  // namespace outbox::core
