// One Kafka client connection: parses each request header, enforces the advertised versions,
// and runs the API's handler. An unknown API key, or a version we do not serve (except for
// ApiVersions, which answers any version), closes the connection, as Kafka does.
#pragma once

#include <memory>

#include "net/frame_server.h"

namespace tarn::kafka {

class Broker;
class GroupCoordinator;

// A session for one connection. The broker and the group coordinator must outlive it.
std::unique_ptr<net::FrameHandler> MakeSession(Broker& broker, GroupCoordinator& groups,
                                               const net::ConnectionInfo& info);

}  // namespace tarn::kafka
