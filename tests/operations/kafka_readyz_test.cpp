// /readyz against a Kafka broker the test controls: librdkafka's mock cluster, run in this
// process and reached by outboxd over TCP like any broker, taken down and brought back up.
#include <gtest/gtest.h>

#include "mock_cluster.hpp"
#include "service_fixture.hpp"

namespace outbox::fault {
namespace {

using kafka_test::MockCluster;

TEST_F(ServiceTest, ReadyzIs503WhileTheKafkaBrokerIsDownAnd200WhenItIsBack) {
  MockCluster cluster(1);
  cluster.create_topic("outbox.order.created", 1);
  ConfigParts p = service_parts();
  p.transports =
      "[ { name: events, type: kafka, properties: { bootstrap.servers: \"" + cluster.bootstrap() + "\" } } ]";
  p.routes = R"([ { match: "*", transport: events, destination: "outbox.{event_type}" } ])";
  const auto config = write_config(p);

  ChildProcess& relay = start_relay(config);
  const int port = port_of(relay);
  ASSERT_TRUE(eventually([&] { return status(port, "/readyz") == 200; }, milliseconds(30'000)));

  cluster.broker_down(1);
  ASSERT_TRUE(eventually([&] { return status(port, "/readyz") == 503; }, milliseconds(30'000)));
  std::string verbose;
  EXPECT_EQ(status(port, "/readyz?verbose", &verbose), 503);
  EXPECT_NE(verbose.find("[-] transport events: kafka brokers unreachable"), std::string::npos) << verbose;
  EXPECT_EQ(status(port, "/livez"), 200);

  cluster.broker_up(1);
  ASSERT_TRUE(eventually([&] { return status(port, "/readyz") == 200; }, milliseconds(30'000)));
  EXPECT_EQ(stop_relay(relay), 0);
}

}  // namespace
}  // namespace outbox::fault
