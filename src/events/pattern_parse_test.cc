#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "events/pattern.h"

namespace tarn::events {
namespace {

// A pattern EventBridge refuses, and words the error must contain (the JSON path and the fault).
struct ParseErrorCase {
  const char* name;
  const char* pattern;
  const char* location;
  const char* reason;
};

std::ostream& operator<<(std::ostream& out, const ParseErrorCase& c) { return out << c.name; }

const ParseErrorCase kErrors[] = {
    {"not_json", R"({"a": [)", "", "not valid JSON"},
    {"not_object", R"(["a"])", "", "must be a JSON object"},
    {"empty_pattern", R"({})", "at the top level", "must name at least one field"},
    {"empty_nested_object", R"({"detail": {}})", "at detail:", "must name at least one field"},
    {"scalar_value", R"({"source": "aws.ec2"})", "at source:", "not a string"},
    {"number_value", R"({"n": 5})", "at n:", "not a number"},
    {"null_value", R"({"n": null})", "at n:", "not null"},
    {"empty_values", R"({"source": []})", "at source:", "empty array"},
    {"nested_array_value", R"({"source": [["a"]]})", "at source[0]:", "may not be an array"},
    {"unknown_operator", R"({"detail": {"state": ["a", {"prefx": "x"}]}})",
     "at detail.state[1]:", "unknown operator \"prefx\""},
    {"empty_operator_object", R"({"a": [{}]})", "at a[0]:", "empty object"},
    {"two_operators", R"({"a": [{"prefix": "x", "suffix": "y"}]})",
     "at a[0]:", "exactly one operator"},
    {"prefix_number", R"({"a": [{"prefix": 5}]})", "at a[0].prefix:", "expects a string"},
    {"prefix_bad_object", R"({"a": [{"prefix": {"suffix": "x"}}]})",
     "at a[0].prefix:", "equals-ignore-case"},
    {"prefix_ignore_case_number", R"({"a": [{"prefix": {"equals-ignore-case": 1}}]})",
     "at a[0].prefix.equals-ignore-case:", "expects a string"},
    {"suffix_array", R"({"a": [{"suffix": ["x"]}]})", "at a[0].suffix:", "expects a string"},
    {"ignore_case_number", R"({"a": [{"equals-ignore-case": 5}]})",
     "at a[0].equals-ignore-case:", "expects a string"},
    {"wildcard_number", R"({"a": [{"wildcard": 5}]})", "at a[0].wildcard:", "expects a string"},
    {"wildcard_double_star", R"({"a": [{"wildcard": "a**b"}]})",
     "at a[0].wildcard:", "consecutive"},
    {"wildcard_bad_escape", R"({"a": [{"wildcard": "a\\b"}]})", "at a[0].wildcard:", "backslash"},
    {"wildcard_trailing_backslash", R"({"a": [{"wildcard": "ab\\"}]})",
     "at a[0].wildcard:", "backslash"},
    {"anything_but_empty_list", R"({"a": [{"anything-but": []}]})",
     "at a[0].anything-but:", "empty array"},
    {"anything_but_mixed_list", R"({"a": [{"anything-but": ["x", 1]}]})",
     "at a[0].anything-but[1]:", "all strings or all numbers"},
    {"anything_but_null", R"({"a": [{"anything-but": null}]})",
     "at a[0].anything-but:", "not null"},
    {"anything_but_bool", R"({"a": [{"anything-but": true}]})",
     "at a[0].anything-but:", "not a boolean"},
    {"anything_but_list_null", R"({"a": [{"anything-but": ["x", null]}]})",
     "at a[0].anything-but[1]:", "strings or numbers"},
    {"anything_but_list_bool", R"({"a": [{"anything-but": [true]}]})",
     "at a[0].anything-but[0]:", "strings or numbers"},
    {"anything_but_numeric", R"({"a": [{"anything-but": {"numeric": [">", 1]}}]})",
     "at a[0].anything-but.numeric:", "not \"numeric\""},
    {"anything_but_two_operators", R"({"a": [{"anything-but": {"prefix": "a", "suffix": "b"}}]})",
     "at a[0].anything-but:", "one operator"},
    {"anything_but_prefix_number", R"({"a": [{"anything-but": {"prefix": 1}}]})",
     "at a[0].anything-but.prefix:", "expects a string"},
    {"anything_but_prefix_empty", R"({"a": [{"anything-but": {"prefix": ""}}]})",
     "at a[0].anything-but.prefix:", "non-empty"},
    {"anything_but_wildcard_bad", R"({"a": [{"anything-but": {"wildcard": ["*.png", "a**"]}}]})",
     "at a[0].anything-but.wildcard[1]:", "consecutive"},
    {"anything_but_ignore_case_empty", R"({"a": [{"anything-but": {"equals-ignore-case": []}}]})",
     "at a[0].anything-but.equals-ignore-case:", "empty array"},
    {"numeric_not_array", R"({"a": [{"numeric": 5}]})", "at a[0].numeric:", "numeric expects"},
    {"numeric_empty", R"({"a": [{"numeric": []}]})", "at a[0].numeric:", "numeric expects"},
    {"numeric_odd", R"({"a": [{"numeric": [">", 1, "<"]}]})",
     "at a[0].numeric:", "numeric expects"},
    {"numeric_too_long", R"({"a": [{"numeric": [">", 1, "<", 5, "=", 3]}]})",
     "at a[0].numeric:", "numeric expects"},
    {"numeric_unknown_op", R"({"a": [{"numeric": ["!=", 1]}]})",
     "at a[0].numeric[0]:", "unknown numeric operator"},
    {"numeric_op_not_string", R"({"a": [{"numeric": [1, 1]}]})",
     "at a[0].numeric[0]:", "expected an operator"},
    {"numeric_value_string", R"({"a": [{"numeric": [">", "1"]}]})",
     "at a[0].numeric[1]:", "expected a number"},
    {"numeric_equals_combined", R"({"a": [{"numeric": ["=", 1, "<", 5]}]})",
     "at a[0].numeric[0]:", "cannot be combined"},
    {"numeric_two_lower", R"({"a": [{"numeric": [">", 1, ">=", 5]}]})",
     "at a[0].numeric[2]:", "two lower bounds"},
    {"numeric_two_upper", R"({"a": [{"numeric": ["<", 1, "<=", 5]}]})",
     "at a[0].numeric[2]:", "two upper bounds"},
    {"numeric_upper_first", R"({"a": [{"numeric": ["<", 5, ">", 1]}]})",
     "at a[0].numeric[2]:", "must come before"},
    {"numeric_empty_range", R"({"a": [{"numeric": [">", 5, "<", 5]}]})",
     "at a[0].numeric:", "less than the upper"},
    {"numeric_inverted_range", R"({"a": [{"numeric": [">=", 10, "<=", 1]}]})",
     "at a[0].numeric:", "less than the upper"},
    {"numeric_out_of_range", R"({"a": [{"numeric": [">", 6e9]}]})",
     "at a[0].numeric[1]:", "between -5e9 and 5e9"},
    {"cidr_number", R"({"a": [{"cidr": 10}]})", "at a[0].cidr:", "expects a string"},
    {"cidr_no_prefix", R"({"a": [{"cidr": "10.0.0.1"}]})",
     "at a[0].cidr:", "not an IPv4 or IPv6 network"},
    {"cidr_bad_address", R"({"a": [{"cidr": "10.0.0.256/8"}]})",
     "at a[0].cidr:", "not an IPv4 or IPv6 network"},
    {"cidr_prefix_too_long_v4", R"({"a": [{"cidr": "10.0.0.0/33"}]})",
     "at a[0].cidr:", "not an IPv4 or IPv6 network"},
    {"cidr_prefix_too_long_v6", R"({"a": [{"cidr": "::/129"}]})",
     "at a[0].cidr:", "not an IPv4 or IPv6 network"},
    {"cidr_prefix_not_number", R"({"a": [{"cidr": "10.0.0.0/x"}]})",
     "at a[0].cidr:", "not an IPv4 or IPv6 network"},
    {"exists_string", R"({"a": [{"exists": "true"}]})", "at a[0].exists:", "true or false"},
    {"or_single", R"({"$or": [{"a": ["x"]}]})", "at $or:", "at least two"},
    {"or_bad_sub_pattern", R"({"$or": [{"a": ["x"]}, {"b": "y"}]})",
     "at $or[1].b:", "not a string"},
    {"or_empty_values", R"({"x": {"$or": [{"a": ["x"]}, {"b": []}]}})",
     "at x.$or[1].b:", "empty array"},
};

class PatternParseErrorTest : public testing::TestWithParam<ParseErrorCase> {};

TEST_P(PatternParseErrorTest, RefusesWithPathAndReason) {
  const ParseErrorCase& c = GetParam();
  const auto pattern = Pattern::Parse(c.pattern);
  ASSERT_FALSE(pattern.has_value()) << c.pattern;
  EXPECT_EQ(pattern.error().code(), StatusCode::kInvalidArgument);
  const std::string& message = pattern.error().message();
  EXPECT_NE(message.find(c.location), std::string::npos) << message;
  EXPECT_NE(message.find(c.reason), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(Errors, PatternParseErrorTest, testing::ValuesIn(kErrors),
                         [](const testing::TestParamInfo<ParseErrorCase>& info) {
                           return info.param.name;
                         });

std::string Nested(int depth) {
  std::string pattern;
  for (int i = 0; i < depth; ++i) pattern += "{\"a\": ";
  pattern += "[1]";
  for (int i = 0; i < depth; ++i) pattern += "}";
  return pattern;
}

TEST(PatternParseTest, RefusesNestingPastTheLimit) {
  EXPECT_TRUE(Pattern::Parse(Nested(Pattern::kMaxDepth)).has_value());
  const auto deep = Pattern::Parse(Nested(Pattern::kMaxDepth + 1));
  ASSERT_FALSE(deep.has_value());
  EXPECT_NE(deep.error().message().find("nesting deeper than 32 levels"), std::string::npos)
      << deep.error().message();
}

TEST(PatternParseTest, RefusesOrCombinationsPastTheLimit) {
  // Eleven parallel two-way $or lists multiply out to 2^11 = 2048 branches.
  nlohmann::json pattern = nlohmann::json::object();
  for (int i = 0; i < 11; ++i) {
    const std::string k = std::to_string(i);
    pattern["f" + k]["$or"] = nlohmann::json::array({{{"a", {1}}}, {{"b", {2}}}});
  }
  const auto expanded = Pattern::FromJson(pattern);
  ASSERT_FALSE(expanded.has_value());
  EXPECT_NE(expanded.error().message().find("more than 1024"), std::string::npos);
  pattern.erase("f10");
  EXPECT_TRUE(Pattern::FromJson(pattern).has_value());  // 1024 exactly
}

TEST(PatternParseTest, OrMultipliesOutIntoBranches) {
  const auto pattern = Pattern::Parse(
      R"({"s": ["x"], "$or": [{"a": [1]}, {"b": [2], "$or": [{"c": [3]}, {"d": [4]}]}]})");
  ASSERT_TRUE(pattern.has_value());
  ASSERT_EQ(pattern->branches().size(), 3u);
  EXPECT_EQ(pattern->branches()[0].fields.size(), 2u);  // s, a
  EXPECT_EQ(pattern->branches()[1].fields.size(), 3u);  // s, b, c
  EXPECT_EQ(pattern->branches()[2].fields.size(), 3u);  // s, b, d
  EXPECT_EQ(pattern->branches()[2].fields[2].path, "d");
}

TEST(PatternParseTest, AcceptsEveryOperatorForm) {
  const char* valid[] = {
      R"({"a": ["x", 1, 1.5, true, false, null, ""]})",
      R"({"a": [{"prefix": ""}, {"prefix": {"equals-ignore-case": "X"}}, {"suffix": {"equals-ignore-case": "y"}}]})",
      R"({"a": [{"wildcard": "*"}, {"wildcard": "a\\*b\\\\c*"}]})",
      R"({"a": [{"anything-but": "x"}, {"anything-but": 5}, {"anything-but": [1, 2.5]}]})",
      R"({"a": [{"anything-but": {"equals-ignore-case": ["a", "b"]}}, {"anything-but": {"wildcard": "*.png"}}]})",
      R"({"a": [{"anything-but": {"suffix": ".png"}}, {"anything-but": {"equals-ignore-case": "x"}}]})",
      R"({"a": [{"numeric": ["=", 0]}, {"numeric": [">=", -5e9, "<=", 5e9]}, {"numeric": ["<", 1]}]})",
      R"({"a": [{"cidr": "0.0.0.0/0"}, {"cidr": "::1/128"}, {"exists": true}, {"exists": false}]})",
      R"({"$or": {"a": ["legacy field named $or"]}})",
  };
  for (const char* text : valid) {
    const auto pattern = Pattern::Parse(text);
    EXPECT_TRUE(pattern.has_value()) << text << ": " << pattern.error().ToString();
  }
}

}  // namespace
}  // namespace tarn::events
