// A plugin for the loader's handshake tests, built once per variant by outbox_add_fixture() (see
// CMakeLists.txt), which defines FIXTURE_NAME. With no other FIXTURE_* definition it keeps every
// rule of the ABI; each definition breaks one:
//   FIXTURE_KIND, FIXTURE_ABI_MAJOR, FIXTURE_ABI_MINOR, FIXTURE_MANIFEST_SIZE, FIXTURE_FIELD_SIZE,
//   FIXTURE_FIELD_TYPE (of its second field), FIXTURE_VTABLE_SIZE
//                                      replace the value the plugin declares;
//   FIXTURE_NULL_MANIFEST=1, FIXTURE_NO_VTABLE=1, FIXTURE_LACKS_PUBLISH=1, FIXTURE_NO_INIT
//                                      leave out a part;
//   FIXTURE_INIT_ERROR="text"          makes outbox_plugin_init fail with that message.
#include <outbox/plugin_abi.h>

#include <string_view>

#ifndef FIXTURE_KIND
#define FIXTURE_KIND OUTBOX_KIND_TRANSPORT
#endif
#ifndef FIXTURE_ABI_MAJOR
#define FIXTURE_ABI_MAJOR OUTBOX_ABI_MAJOR
#endif
#ifndef FIXTURE_ABI_MINOR
#define FIXTURE_ABI_MINOR OUTBOX_ABI_MINOR
#endif
#ifndef FIXTURE_MANIFEST_SIZE
#define FIXTURE_MANIFEST_SIZE sizeof(outbox_manifest)
#endif
#ifndef FIXTURE_FIELD_SIZE
#define FIXTURE_FIELD_SIZE sizeof(WideField)
#endif
#ifndef FIXTURE_FIELD_TYPE
#define FIXTURE_FIELD_TYPE OUTBOX_FIELD_INTEGER
#endif
#ifndef FIXTURE_VTABLE_SIZE
#define FIXTURE_VTABLE_SIZE sizeof(Table)
#endif
#ifndef FIXTURE_NULL_MANIFEST
#define FIXTURE_NULL_MANIFEST 0
#endif
#ifndef FIXTURE_NO_VTABLE
#define FIXTURE_NO_VTABLE 0
#endif
#ifndef FIXTURE_LACKS_PUBLISH
#define FIXTURE_LACKS_PUBLISH 0
#endif
#ifndef FIXTURE_INIT_ERROR
#define FIXTURE_INIT_ERROR ""
#endif

namespace {

// Wider than the host's field, as a plugin built against a later minor version declares it: the
// host must step through the fields by their struct_size, not by its own sizeof.
struct WideField {
  outbox_config_field field;
  double added_in_a_later_minor;
};

constexpr WideField kFields[] = {
    {{FIXTURE_FIELD_SIZE, OUTBOX_FIELD_STRING, OUTBOX_FIELD_REQUIRED, "greeting", "What to say.", nullptr,
      nullptr, 0.0, 0.0},
     0.0},
    {{FIXTURE_FIELD_SIZE, FIXTURE_FIELD_TYPE, 0, "repeat", "How often to say it.", "1", nullptr, 0.0, 0.0},
     0.0},
};

constexpr outbox_manifest kManifest{FIXTURE_MANIFEST_SIZE,
                                    FIXTURE_ABI_MAJOR,
                                    FIXTURE_ABI_MINOR,
                                    FIXTURE_KIND,
                                    FIXTURE_NAME,
                                    "1.0.0",
                                    "A plugin for the loader tests",
                                    &kFields[0].field,
                                    sizeof(kFields) / sizeof(kFields[0])};

template <class R, class... A>
using Fn = R (*)(A...);

// Stands in for any function of a vtable: does nothing and returns OUTBOX_OK. The loader tests
// never call these; they need complete tables only.
struct Stub {
  template <class R, class... A>
  constexpr operator Fn<R, A...>() const noexcept {
    return [](A...) -> R { return R(); };
  }
};
constexpr Stub stub;

template <class Table>
constexpr uint32_t vtable_size() {
  return FIXTURE_VTABLE_SIZE;
}

constexpr outbox_storage_vtable kStorageVtable{vtable_size<outbox_storage_vtable>(),
                                               stub,
                                               stub,
                                               stub,
                                               stub,
                                               stub,
                                               stub,
                                               stub,
                                               stub,
                                               stub,
                                               stub,
                                               stub,
                                               stub,
                                               stub,
                                               stub,
                                               stub,
                                               stub,
                                               stub,
                                               nullptr,   // claim_in_key_order (ABI 1.3): none
                                               nullptr,   // extend
                                               nullptr,   // keys_blocked (ABI 1.4): none
                                               nullptr,   // key_unblock
                                               nullptr};  // held (ABI 1.5): the host reads stats()

constexpr decltype(outbox_transport_vtable::publish) kPublish = stub;
constexpr outbox_transport_vtable kTransportVtable{
    vtable_size<outbox_transport_vtable>(),     stub, stub, stub,
    FIXTURE_LACKS_PUBLISH ? nullptr : kPublish, stub, stub};

constexpr outbox_str text(std::string_view s) { return outbox_str{s.data(), s.size()}; }

}  // namespace

extern "C" OUTBOX_EXPORT const outbox_manifest* outbox_plugin_manifest(void) {
  return FIXTURE_NULL_MANIFEST ? nullptr : &kManifest;
}

#ifndef FIXTURE_NO_INIT
extern "C" OUTBOX_EXPORT outbox_status outbox_plugin_init(const outbox_host_api* host,
                                                          const void** vtable_out, outbox_error* err) {
  if (constexpr std::string_view kError = FIXTURE_INIT_ERROR; !kError.empty()) {
    host->set_error(err, text(""), text(kError));
    return OUTBOX_INVALID_CONFIG;
  }
  host->log(host->ctx, OUTBOX_LOG_INFO, text("fixture initialised"));
  const void* vtable = kManifest.kind == OUTBOX_KIND_STORAGE ? static_cast<const void*>(&kStorageVtable)
                                                             : static_cast<const void*>(&kTransportVtable);
  *vtable_out = FIXTURE_NO_VTABLE ? nullptr : vtable;
  return OUTBOX_OK;
}
#endif
