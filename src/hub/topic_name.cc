#include "hub/hub.h"
#include "kafka/broker.h"

namespace tarn::hub {

Status ValidateTopicName(std::string_view name) { return kafka::Broker::ValidateTopicName(name); }

}  // namespace tarn::hub
