#include "contracts/registry_routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "contracts/memory_schema_log.h"
#include "contracts/schema_registry.h"
#include "http/test_server.h"
#include "net/run_to_completion.h"

namespace tarn::contracts {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::json;

const char kV1[] = R"({"type": "object", "properties": {"id": {"type": "string"}},
                       "additionalProperties": false})";
const char kV2[] = R"({"type": "object", "properties": {"id": {"type": "string"},
                       "amount": {"type": "number"}}, "additionalProperties": false})";
const char kV3Narrowed[] = R"({"type": "object", "properties": {"id": {"type": "string"},
                       "amount": {"type": "integer"}}, "additionalProperties": false})";

// A register, lookup or compatibility body for a JSON Schema.
std::string SchemaBody(const char* schema, const char* type = "JSON") {
  Json body = {{"schema", schema}};
  if (type != nullptr) body["schemaType"] = type;
  return body.dump();
}

struct Reply {
  int status = 0;
  std::string content_type;
  std::string body;
  Json json;  // the body parsed, when it is JSON

  int error_code() const { return json.value("error_code", 0); }
  std::string message() const { return json.value("message", ""); }
};

class RegistryRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto registry = net::RunToCompletion(
        io_, SchemaRegistry::Open(io_, std::make_unique<MemorySchemaLog>(log_)));
    ASSERT_TRUE(registry.has_value());
    registry_ = std::move(*registry);
    server_ = std::make_unique<http::Server>(io_);
    AddSchemaRegistryRoutes(*server_, *registry_);
    port_ = server_->Listen("127.0.0.1", 0).value();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    server_->Stop();
    asio::post(io_, [this] { io_.stop(); });
    thread_.join();
  }

  // Runs `f` on the io_context's thread, which owns the registry and its log.
  template <typename F>
  void OnIoThread(F f) {
    std::promise<void> done;
    asio::post(io_, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  Reply Call(const std::string& method, const std::string& target, const std::string& body = "",
             const std::string& content_type = "application/vnd.schemaregistry.v1+json") {
    http::test::RawClient client(port_);
    std::string request = method + " " + target + " HTTP/1.1\r\nHost: test\r\n";
    if (!body.empty()) {
      if (!content_type.empty()) request += "Content-Type: " + content_type + "\r\n";
      request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    request += "\r\n" + body;
    EXPECT_TRUE(client.Send(request));
    std::optional<http::test::RawResponse> raw = client.ReadResponse();
    if (!raw) {
      ADD_FAILURE() << "no response to " << method << " " << target;
      return {};
    }
    return Reply{.status = raw->status,
                 .content_type = raw->headers["Content-Type"],
                 .body = raw->body,
                 .json = Json::parse(raw->body, nullptr, false)};
  }

  Reply Register(const std::string& subject, const char* schema) {
    return Call("POST", "/subjects/" + subject + "/versions", SchemaBody(schema));
  }

  void ExpectError(const Reply& reply, int status, int error_code, const std::string& text = "") {
    EXPECT_EQ(reply.status, status) << reply.body;
    EXPECT_EQ(reply.error_code(), error_code) << reply.body;
    EXPECT_EQ(reply.content_type, kRegistryContentType);
    if (!text.empty()) {
      EXPECT_THAT(reply.message(), HasSubstr(text));
    }
  }

  IoContext io_;
  std::shared_ptr<MemorySchemaLog::Shared> log_ = std::make_shared<MemorySchemaLog::Shared>();
  std::unique_ptr<SchemaRegistry> registry_;
  std::unique_ptr<http::Server> server_;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(RegistryRoutesTest, RegisterAndReadBack) {
  Reply registered = Register("orders-value", kV1);
  EXPECT_EQ(registered.status, 200);
  EXPECT_EQ(registered.content_type, "application/vnd.schemaregistry.v1+json");
  EXPECT_EQ(registered.json, Json({{"id", 1}}));
  EXPECT_EQ(Register("orders-value", kV1).json, Json({{"id", 1}}));
  EXPECT_EQ(Register("orders-value", kV2).json, Json({{"id", 2}}));
  EXPECT_EQ(Register("payments-value", kV2).json, Json({{"id", 2}}));

  EXPECT_EQ(Call("GET", "/subjects").json, Json({"orders-value", "payments-value"}));
  EXPECT_EQ(Call("GET", "/subjects?subjectPrefix=pay").json, Json({"payments-value"}));
  EXPECT_EQ(Call("GET", "/subjects/orders-value/versions").json, Json({1, 2}));

  Reply latest = Call("GET", "/subjects/orders-value/versions/latest");
  EXPECT_EQ(latest.status, 200);
  EXPECT_EQ(latest.json["subject"], "orders-value");
  EXPECT_EQ(latest.json["version"], 2);
  EXPECT_EQ(latest.json["id"], 2);
  EXPECT_EQ(latest.json["schemaType"], "JSON");
  EXPECT_EQ(Json::parse(latest.json["schema"].get<std::string>()), Json::parse(kV2));
  EXPECT_EQ(Call("GET", "/subjects/orders-value/versions/-1").json, latest.json);
  EXPECT_EQ(Call("GET", "/subjects/orders-value/versions/1").json["id"], 1);
  Reply raw = Call("GET", "/subjects/orders-value/versions/1/schema");
  EXPECT_EQ(raw.json, Json::parse(kV1));
  EXPECT_EQ(Call("GET", "/subjects/orders-value/versions/1/referencedby").json, Json::array());

  Reply by_id = Call("GET", "/schemas/ids/2");
  EXPECT_EQ(by_id.json["schemaType"], "JSON");
  EXPECT_EQ(Json::parse(by_id.json["schema"].get<std::string>()), Json::parse(kV2));
  EXPECT_EQ(Call("GET", "/schemas/ids/2/schema").json, Json::parse(kV2));
  EXPECT_EQ(Call("GET", "/schemas/ids/2/versions").json,
            Json::parse(R"([{"subject":"orders-value","version":2},
                            {"subject":"payments-value","version":1}])"));
  EXPECT_EQ(Call("GET", "/schemas/ids/2/subjects").json,
            Json({"orders-value", "payments-value"}));
  EXPECT_EQ(Call("GET", "/schemas/types").json, Json({"JSON"}));
}

TEST_F(RegistryRoutesTest, NotFoundErrors) {
  ASSERT_EQ(Register("s", kV1).status, 200);
  ExpectError(Call("GET", "/subjects/nope/versions"), 404, 40401, "Subject 'nope' not found");
  ExpectError(Call("GET", "/subjects/nope/versions/1"), 404, 40401);
  ExpectError(Call("GET", "/subjects/s/versions/9"), 404, 40402, "Version 9 not found");
  ExpectError(Call("GET", "/subjects/s/versions/9/schema"), 404, 40402);
  ExpectError(Call("GET", "/subjects/s/versions/abc"), 422, 42202, "not a valid version");
  ExpectError(Call("GET", "/subjects/s/versions/0"), 422, 42202);
  ExpectError(Call("GET", "/schemas/ids/99"), 404, 40403, "Schema 99 not found");
  ExpectError(Call("GET", "/schemas/ids/abc/schema"), 404, 40403);
  ExpectError(Call("GET", "/schemas/ids/99/versions"), 404, 40403);
}

TEST_F(RegistryRoutesTest, RegisterRefusesWhatIsNotAJsonSchemaRequest) {
  ExpectError(Call("POST", "/subjects/s/versions", SchemaBody(kV1, nullptr)), 422, 42201,
              "schemaType AVRO is not supported");
  ExpectError(Call("POST", "/subjects/s/versions", SchemaBody("syntax = \"proto3\";", "PROTOBUF")),
              422, 42201, "JSON Schema only");
  ExpectError(Call("POST", "/subjects/s/versions", SchemaBody(R"({"type": "text"})")), 422, 42201,
              "Invalid schema: #/type: unknown type 'text'");
  ExpectError(Call("POST", "/subjects/s/versions", SchemaBody("{not json")), 422, 42201,
              "not valid JSON");
  ExpectError(Call("POST", "/subjects/s/versions",
                   R"({"schema": "{}", "schemaType": "JSON", "references": [{"name": "a"}]})"),
              422, 42201, "references are not supported");
  ExpectError(Call("POST", "/subjects/s/versions", R"({"schemaType": "JSON"})"), 422, 42201);
  ExpectError(Call("POST", "/subjects/s/versions", R"({"schema": "{}", "schemaType": 1})"), 422,
              422);
  ExpectError(Call("POST", "/subjects/s/versions", "[1, 2"), 400, 400, "not valid JSON");
  ExpectError(Call("POST", "/subjects/s/versions", SchemaBody(kV1), "text/plain"), 415, 415);
  // The other accepted content types, and none at all.
  for (const char* type : {"application/vnd.schemaregistry+json", "application/json",
                           "application/json; charset=utf-8", "application/octet-stream", ""}) {
    EXPECT_EQ(Call("POST", "/subjects/s/versions", SchemaBody(kV1), type).status, 200) << type;
  }
  EXPECT_EQ(Call("GET", "/subjects").json, Json({"s"}));
}

TEST_F(RegistryRoutesTest, IncompatibleSchemaIs409WithTheReasons) {
  ASSERT_EQ(Register("s", kV2).status, 200);
  Reply refused = Register("s", kV3Narrowed);
  ExpectError(refused, 409, 409, "incompatible with an earlier schema");
  EXPECT_THAT(refused.message(), HasSubstr("TYPE_NARROWED at #/properties/amount: property "
                                           "'amount' type narrowed from number to integer"));
  EXPECT_EQ(Call("GET", "/subjects/s/versions").json, Json({1}));
}

TEST_F(RegistryRoutesTest, LookUpASchemaInASubject) {
  ASSERT_EQ(Register("s", kV1).status, 200);
  Reply found = Call("POST", "/subjects/s", SchemaBody(kV1));
  EXPECT_EQ(found.status, 200);
  EXPECT_EQ(found.json["subject"], "s");
  EXPECT_EQ(found.json["version"], 1);
  EXPECT_EQ(found.json["id"], 1);
  ExpectError(Call("POST", "/subjects/s", SchemaBody(kV2)), 404, 40403, "Schema not found");
  ExpectError(Call("POST", "/subjects/other", SchemaBody(kV1)), 404, 40401);
  ExpectError(Call("POST", "/subjects/s", SchemaBody(kV1, "AVRO")), 422, 42201);
}

TEST_F(RegistryRoutesTest, CompatibilityChecks) {
  ASSERT_EQ(Register("s", kV2).status, 200);
  EXPECT_EQ(Call("POST", "/compatibility/subjects/s/versions/latest", SchemaBody(kV2)).json,
            Json({{"is_compatible", true}}));
  Reply verbose =
      Call("POST", "/compatibility/subjects/s/versions/1?verbose=true", SchemaBody(kV3Narrowed));
  EXPECT_EQ(verbose.status, 200);
  EXPECT_EQ(verbose.json["is_compatible"], false);
  ASSERT_EQ(verbose.json["messages"].size(), 1u);
  EXPECT_THAT(verbose.json["messages"][0].get<std::string>(), HasSubstr("TYPE_NARROWED"));
  EXPECT_EQ(Call("POST", "/compatibility/subjects/s/versions", SchemaBody(kV3Narrowed)).json,
            Json({{"is_compatible", false}}));
  EXPECT_EQ(Call("POST", "/compatibility/subjects/new/versions", SchemaBody(kV3Narrowed)).json,
            Json({{"is_compatible", true}}));
  ExpectError(Call("POST", "/compatibility/subjects/new/versions/latest", SchemaBody(kV1)), 404,
              40401);
  ExpectError(Call("POST", "/compatibility/subjects/s/versions/4", SchemaBody(kV1)), 404, 40402);
  ExpectError(Call("POST", "/compatibility/subjects/s/versions/x", SchemaBody(kV1)), 422, 42202);
}

TEST_F(RegistryRoutesTest, GlobalAndSubjectConfig) {
  EXPECT_EQ(Call("GET", "/config").json, Json({{"compatibilityLevel", "BACKWARD"}}));
  Reply set = Call("PUT", "/config", R"({"compatibility": "full"})");
  EXPECT_EQ(set.status, 200);
  EXPECT_EQ(set.json, Json({{"compatibility", "FULL"}}));
  EXPECT_EQ(Call("GET", "/config").json, Json({{"compatibilityLevel", "FULL"}}));
  ExpectError(Call("PUT", "/config", R"({"compatibility": "SIDEWAYS"})"), 422, 42203,
              "Invalid compatibility level");
  ExpectError(Call("PUT", "/config", R"({})"), 422, 42203);

  ExpectError(Call("GET", "/config/s"), 404, 40408, "does not have subject-level compatibility");
  EXPECT_EQ(Call("GET", "/config/s?defaultToGlobal=true").json,
            Json({{"compatibilityLevel", "FULL"}}));
  EXPECT_EQ(Call("PUT", "/config/s", R"({"compatibility": "NONE"})").json,
            Json({{"compatibility", "NONE"}}));
  EXPECT_EQ(Call("GET", "/config/s").json, Json({{"compatibilityLevel", "NONE"}}));
  // NONE lets an incompatible schema in.
  ASSERT_EQ(Register("s", kV2).status, 200);
  EXPECT_EQ(Register("s", kV3Narrowed).status, 200);
  EXPECT_EQ(Call("DELETE", "/config/s").json, Json({{"compatibilityLevel", "NONE"}}));
  ExpectError(Call("DELETE", "/config/s"), 404, 40408);
  EXPECT_EQ(Call("DELETE", "/config").json, Json({{"compatibilityLevel", "FULL"}}));
  EXPECT_EQ(Call("GET", "/config").json, Json({{"compatibilityLevel", "BACKWARD"}}));

  EXPECT_EQ(Call("GET", "/mode").json, Json({{"mode", "READWRITE"}}));
  EXPECT_EQ(Call("PUT", "/mode", R"({"mode": "READWRITE"})").status, 200);
  ExpectError(Call("PUT", "/mode", R"({"mode": "READONLY"})"), 422, 422);
}

TEST_F(RegistryRoutesTest, SoftAndPermanentDeletes) {
  ASSERT_EQ(Register("s", kV1).status, 200);
  ASSERT_EQ(Register("s", kV2).status, 200);
  ExpectError(Call("DELETE", "/subjects/s/versions/1?permanent=true"), 404, 40407,
              "was not deleted first");
  ExpectError(Call("DELETE", "/subjects/s?permanent=true"), 404, 40405, "was not deleted first");
  EXPECT_EQ(Call("DELETE", "/subjects/s/versions/1").json, Json(1));
  ExpectError(Call("DELETE", "/subjects/s/versions/1"), 404, 40406, "was soft deleted");
  ExpectError(Call("DELETE", "/subjects/s/versions/3"), 404, 40402);
  ExpectError(Call("DELETE", "/subjects/s/versions/x"), 422, 42202);
  ExpectError(Call("DELETE", "/subjects/nope"), 404, 40401);
  EXPECT_EQ(Call("GET", "/subjects/s/versions").json, Json({2}));
  EXPECT_EQ(Call("GET", "/subjects/s/versions?deleted=true").json, Json({1, 2}));
  ExpectError(Call("GET", "/subjects/s/versions/1"), 404, 40402);
  EXPECT_EQ(Call("GET", "/subjects/s/versions/1?deleted=true").json["id"], 1);
  EXPECT_EQ(Call("DELETE", "/subjects/s/versions/1?permanent=true").json, Json(1));

  EXPECT_EQ(Call("DELETE", "/subjects/s").json, Json({2}));
  ExpectError(Call("DELETE", "/subjects/s"), 404, 40404, "was soft deleted");
  EXPECT_EQ(Call("GET", "/subjects").json, Json::array());
  EXPECT_EQ(Call("GET", "/subjects?deleted=true").json, Json({"s"}));
  // Soft-deleted schemas stay readable by id.
  EXPECT_EQ(Call("GET", "/schemas/ids/2").status, 200);
  EXPECT_EQ(Call("GET", "/schemas/ids/2/versions").json, Json::array());
  EXPECT_EQ(Call("GET", "/schemas/ids/2/versions?deleted=true").json,
            Json::parse(R"([{"subject":"s","version":2}])"));
  EXPECT_EQ(Call("DELETE", "/subjects/s?permanent=true").json, Json({2}));
  ExpectError(Call("GET", "/schemas/ids/2"), 404, 40403);
  EXPECT_EQ(Call("GET", "/subjects?deleted=true").json, Json::array());
}

TEST_F(RegistryRoutesTest, StoreFailureIs50001) {
  ASSERT_EQ(Register("s", kV1).status, 200);
  OnIoThread([this] { log_->fail_appends = Status::IoError("disk full"); });
  ExpectError(Register("s", kV2), 500, 50001, "disk full");
  ExpectError(Call("PUT", "/config", R"({"compatibility": "FULL"})"), 500, 50001);
  OnIoThread([this] { log_->fail_appends = Status::Ok(); });
  EXPECT_EQ(Call("GET", "/subjects/s/versions").json, Json({1}));
  EXPECT_EQ(Register("s", kV2).json, Json({{"id", 2}}));
}

TEST_F(RegistryRoutesTest, SubjectNamesArePercentDecoded) {
  EXPECT_EQ(Register("a%2Fb%20c", kV1).status, 200);
  EXPECT_EQ(Call("GET", "/subjects").json, Json({"a/b c"}));
  EXPECT_EQ(Call("GET", "/subjects/a%2Fb%20c/versions").json, Json({1}));
}

}  // namespace
}  // namespace tarn::contracts
