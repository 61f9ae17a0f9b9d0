#include "core/plugin/host_api.hpp"

#include <outbox/sdk.hpp>

#include "core/log.hpp"

namespace outbox::core {
namespace {

log::Level to_log_level(outbox_log_level level) noexcept {
  // A level outside the ABI's range is clamped rather than dropped: the line may matter.
  if (level <= OUTBOX_LOG_TRACE) return log::Level::trace;
  switch (level) {
    case OUTBOX_LOG_DEBUG:
      return log::Level::debug;
    case OUTBOX_LOG_INFO:
      return log::Level::info;
    case OUTBOX_LOG_WARN:
      return log::Level::warn;
    default:
      return log::Level::error;
  }
}

void plugin_log(void* ctx, outbox_log_level level, outbox_str message) noexcept {
  const auto* component = static_cast<const std::string*>(ctx);
  log::write(to_log_level(level), *component, sdk::sv(message));
}

void plugin_set_error(outbox_error* err, outbox_str key, outbox_str message) noexcept {
  if (err == nullptr) return;
  try {
    err->key.assign(sdk::sv(key));
    err->message.assign(sdk::sv(message));
  } catch (...) {  // out of memory: keep whatever fitted rather than throw into the plugin
  }
}

}  // namespace

outbox_host_api make_host_api(const std::string& log_component) noexcept {
  // ctx is void* by ABI; the plugin only hands it back to plugin_log, which reads it as const.
  return outbox_host_api{sizeof(outbox_host_api),
                         OUTBOX_ABI_MAJOR,
                         OUTBOX_ABI_MINOR,
                         const_cast<std::string*>(&log_component),
                         &plugin_log,
                         &plugin_set_error};
}

}  // namespace outbox::core
