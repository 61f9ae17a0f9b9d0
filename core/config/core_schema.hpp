// The keys outboxd itself understands, as FieldSpecs. Plugin blocks (storage, transports[]) are
// extensible here; each plugin's own fields are added when its block is validated.
#pragma once

#include <vector>

#include "core/config/field_spec.hpp"

namespace outbox::core {

const std::vector<FieldSpec>& core_schema();
// The core keys of a storage block and of a transport block.
const std::vector<FieldSpec>& storage_core_fields();
const std::vector<FieldSpec>& transport_core_fields();

}  // namespace outbox::core
