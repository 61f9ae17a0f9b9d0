// The fixture of a relay killed (SIGKILL) mid-drain while it holds events under a short lease,
// followed by one `outboxd run --until-idle` on the same outbox: run on each storage by
// relay_fault_test.cpp (SQLite) and postgres_fault_test.cpp (PostgreSQL).
#pragma once

#include "relay_sandbox.hpp"

namespace outbox::fault {

class KilledRelay : public RelaySandbox {
 protected:
  // `p` names the storage; the relay keys and the test transport's are set here. The run must
  // wait for the killed relay's leases, say so, deliver every event and exit 0 with nothing left.
  void expect_one_run_until_idle_drains_everything(ConfigParts p);
};

}  // namespace outbox::fault
