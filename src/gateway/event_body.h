// The events in a `POST /v1/events` request, by content type:
//   application/json (or none)            one envelope, or a JSON array of envelopes
//   application/x-ndjson, application/jsonl  one envelope per line (blank lines are skipped)
//   application/cloudevents+json           one CloudEvent, structured mode
//   application/cloudevents-batch+json     a JSON array of structured CloudEvents
//   any, with a ce-specversion header      one CloudEvent, binary mode (the body is its data)
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "events/envelope.h"
#include "http/message.h"

namespace tarn::gateway {

// Why a request's events were refused: the HTTP status, a snake_case code, a message that names
// the event, and the event's 0-based position in the request when one event is at fault.
struct EventFailure {
  int status = 400;
  std::string code;
  std::string message;
  std::optional<size_t> index;
};

struct BodyLimits {
  events::EnvelopeLimits envelope;
  size_t max_events = 10'000;
};

// Parses and validates every event of `request` against the envelope (not the contracts).
// 415 unsupported_media_type, 400 invalid_json, 400 invalid_event (naming the event, its index
// and the rule it breaks), 400 no_events, 413 too_many_events.
std::expected<std::vector<events::Envelope>, EventFailure> ParseEventBody(
    const http::Request& request, int64_t now_ms, const BodyLimits& limits);

// The response for a failure: {"error":{"code","message"[,"index"]}}.
http::Response FailureResponse(const EventFailure& failure);

}  // namespace tarn::gateway
