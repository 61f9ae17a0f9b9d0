// "did you mean" for a misspelt key or value: the SDK's, which plugins use too.
#pragma once

#include <outbox/suggest.hpp>

namespace outbox::core {

using sdk::closest_match;

}  // namespace outbox::core
